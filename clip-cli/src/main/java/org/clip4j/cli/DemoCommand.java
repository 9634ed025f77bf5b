package org.clip4j.cli;

import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.safetensors.SafetensorsWriter;
import org.clip4j.core.tokenizer.ClipTokenizer;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code clip demo}: the main job on embedded data, no download. Today it shows the two exact front ends:
 * captions through the tokenizer and rendered images through the reference preprocessing. (Training on the
 * synthetic dataset replaces it once the trainer lands.)
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs clip4j on embedded data: tokenizes captions, renders shape images,",
                "preprocesses them exactly as the reference and writes pixel_values + input_ids."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out-dir", paramLabel = "DIR", defaultValue = "clip-demo", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path outDir;

    @Option(names = "--size", paramLabel = "N", defaultValue = "224", description = "Image size (default: ${DEFAULT-VALUE}).")
    int size;

    private static final String[] COLORS = {"red", "green", "blue"};
    private static final Color[] RGB = {new Color(220, 40, 40), new Color(40, 170, 60), new Color(40, 70, 220)};
    private static final String[] SHAPES = {"circle", "square", "triangle"};

    @Override
    public Integer call() throws IOException {
        Files.createDirectories(outDir);
        List<Path> files = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        for (int c = 0; c < COLORS.length; c++) {
            for (int s = 0; s < SHAPES.length; s++) {
                Path f = outDir.resolve(COLORS[c] + "-" + SHAPES[s] + ".png");
                ImageIO.write(render(c, s, 160 + 40 * s, 120 + 30 * c), "png", f.toFile());
                files.add(f);
                captions.add("a photo of a " + COLORS[c] + " " + SHAPES[s] + ".");
            }
        }
        ClipTokenizer tok = ClipTokenizer.openai();
        long[][] ids = tok.tokenize(captions, ClipTokenizer.DEFAULT_CONTEXT_LENGTH, true);
        System.out.println("Tokenized " + captions.size() + " captions (context 77), e.g.");
        for (int i = 0; i < 3; i++) {
            int n = 0;
            while (n < ids[i].length && ids[i][n] != 0) n++;
            System.out.println("  \"" + captions.get(i) + "\" -> " + Arrays.toString(Arrays.copyOf(ids[i], n)));
        }
        ImagePreprocessor pre = ImagePreprocessor.clip(size);
        long t0 = System.nanoTime();
        INDArray pixels = pre.batch(files); // [9, 3, size, size]
        double ms = (System.nanoTime() - t0) / 1e6;
        try {
            System.out.printf("Preprocessed %d rendered images to %s in %.0f ms: mean %.4f, std %.4f%n",
                    files.size(), Arrays.toString(pixels.shape()), ms, pixels.meanNumber().doubleValue(),
                    pixels.stdNumber().doubleValue());
            Path out = outDir.resolve("demo.safetensors");
            long[] flat = Arrays.stream(ids).flatMapToLong(Arrays::stream).toArray();
            new SafetensorsWriter()
                    .put("pixel_values", pixels)
                    .putLongs("input_ids", org.clip4j.core.safetensors.DType.I64, new long[]{ids.length, ids[0].length}, flat)
                    .write(out);
            System.out.println("Wrote pixel_values and input_ids to " + out + " and the images to " + outDir + "/");
        } finally {
            pixels.close();
        }
        return 0;
    }

    /** A coloured shape on a light background, w×h pixels. */
    static BufferedImage render(int color, int shape, int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(new Color(235, 232, 225));
        g.fillRect(0, 0, w, h);
        g.setColor(RGB[color]);
        int d = Math.min(w, h) * 2 / 3, x = (w - d) / 2, y = (h - d) / 2;
        switch (SHAPES[shape]) {
            case "circle" -> g.fillOval(x, y, d, d);
            case "square" -> g.fillRect(x, y, d, d);
            default -> g.fillPolygon(new int[]{x, x + d / 2, x + d}, new int[]{y + d, y, y + d}, 3);
        }
        g.dispose();
        return img;
    }
}
