package org.clip4j.cli;

import org.clip4j.train.data.SyntheticShapes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ChartsTest {
    @TempDir
    Path tmp;

    @Test
    void lossCurvePng() throws Exception {
        Path m = tmp.resolve("metrics.jsonl");
        Files.writeString(m, "{\"step\":1,\"loss\":4.1}\n{\"step\":2,\"loss\":3.5}\n{\"step\":2,\"val_loss\":3.9}\n{\"step\":3,\"loss\":2.9}\n");
        Path png = tmp.resolve("loss.png");
        assertEquals(3, LossCurve.write(m, png, "test"));
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(900, img.getWidth());
        assertEquals(500, img.getHeight());
    }

    @Test
    void confusionPngShadesCellsByRowFraction() throws Exception {
        List<String> labels = SyntheticShapes.allLabels();
        int[][] c = new int[24][24];
        c[0][0] = 9;
        c[0][5] = 1;
        Path png = tmp.resolve("c.png");
        SyntheticEvaluation.writeConfusionPng(c, labels, png);
        BufferedImage img = ImageIO.read(png.toFile());
        int full = img.getRGB(120 + 5, 120 + 5), tenth = img.getRGB(120 + 5 * 22 + 5, 120 + 5), empty = img.getRGB(120 + 22 + 5, 120 + 5);
        assertEquals(0xffffff, empty & 0xffffff, "empty cell is white");
        assertTrue((full & 0xff0000) >> 16 < (tenth & 0xff0000) >> 16, "90 % cell darker than 10 % cell");
        assertTrue((tenth & 0xff0000) >> 16 < 255, "10 % cell is shaded");
    }
}
