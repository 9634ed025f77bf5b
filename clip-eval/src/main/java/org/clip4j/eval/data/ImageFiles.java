package org.clip4j.eval.data;

import org.clip4j.core.ClipException;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Decoding an image file for evaluation, with errors that name the file. */
final class ImageFiles {
    private ImageFiles() {
    }

    static BufferedImage readRgb(Path file) {
        if (!Files.isRegularFile(file)) throw new ClipException(file + ": no such image file");
        try {
            BufferedImage img = ImageIO.read(file.toFile());
            if (img == null) throw new ClipException(file + ": not a readable image (no ImageIO decoder for it)");
            return img;
        } catch (IOException e) {
            throw new ClipException(file + ": cannot decode image: " + e.getMessage(), e);
        }
    }
}
