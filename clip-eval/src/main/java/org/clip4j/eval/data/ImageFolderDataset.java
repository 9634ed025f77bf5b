package org.clip4j.eval.data;

import org.clip4j.core.ClipException;

import java.awt.image.BufferedImage;
import org.clip4j.core.image.ImagePreprocessor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * torchvision's ImageFolder layout: {@code root/CLASS/IMAGE}, one class per sub-folder. Classes are the folder
 * names in sorted order (labels are their indices); images are the files with an image extension in each
 * folder (and below), sorted by path.
 */
public final class ImageFolderDataset implements ClassificationDataset {
    /** File extensions taken as images (lower case). */
    public static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif", "webp", "tif", "tiff");

    private final Path root;
    private final List<String> classes = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();
    private final List<Integer> labels = new ArrayList<>();

    /** Scans {@code root}. */
    public ImageFolderDataset(Path root) {
        this.root = root;
        if (!Files.isDirectory(root)) throw new ClipException(root + ": no such folder (expected ROOT/CLASS/IMAGE files)");
        try (Stream<Path> dirs = Files.list(root)) {
            List<Path> sorted = dirs.filter(Files::isDirectory).sorted().toList();
            for (Path d : sorted) {
                List<Path> images;
                try (Stream<Path> walk = Files.walk(d)) {
                    images = walk.filter(Files::isRegularFile).filter(ImageFolderDataset::isImage).sorted().toList();
                }
                if (images.isEmpty()) continue;
                int label = classes.size();
                classes.add(d.getFileName().toString());
                for (Path p : images) {
                    files.add(p);
                    labels.add(label);
                }
            }
        } catch (IOException e) {
            throw new ClipException(root + ": cannot list: " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new ClipException(root + ": no images found (expected one sub-folder per class holding " + EXTENSIONS + " files)");
        }
    }

    static boolean isImage(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** The file of image {@code i}. */
    public Path file(int i) {
        return files.get(i);
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public List<String> classes() {
        return List.copyOf(classes);
    }

    @Override
    public int label(int i) {
        return labels.get(i);
    }

    @Override
    public BufferedImage image(int i) {
        return ImageFiles.readRgb(files.get(i));
    }

    @Override
    public float[] pixels(int i, ImagePreprocessor pre) {
        return pre.apply(files.get(i));
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "imagefolder %s (%,d images, %d classes)", root, size(), classes.size());
    }
}
