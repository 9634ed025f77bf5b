package org.clip4j.cli;

import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.image.ResizeMode;
import org.clip4j.core.safetensors.SafetensorsWriter;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code clip preprocess}: images → one {@code pixel_values} tensor, exactly as the reference transform. */
@Command(name = "preprocess", mixinStandardHelpOptions = true,
        description = {"Preprocesses images as CLIP's reference _transform(N) does (Pillow bicubic resize,",
                "center crop, RGB, /255, CLIP mean/std) and writes tensor 'pixel_values' F32 [n,3,N,N]",
                "in argument order to a safetensors file."})
final class PreprocessCommand implements Callable<Integer> {
    @Option(names = "--size", paramLabel = "N", required = true, description = "Output side in pixels (224 for ViT-B/32).")
    int size;

    @Option(names = "--resize-mode", paramLabel = "M", defaultValue = "shortest",
            description = {"shortest: short side to N, then center crop (reference, default);",
                    "squash: both sides to N; longest: long side to N, then pad."})
    String resizeMode;

    @Option(names = "--mean", paramLabel = "R,G,B", split = ",", description = "Channel means (default: CLIP's).")
    float[] mean;

    @Option(names = "--std", paramLabel = "R,G,B", split = ",", description = "Channel standard deviations (default: CLIP's).")
    float[] std;

    @Mixin
    OutputFile out = new OutputFile();

    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "PNG, JPEG, BMP, GIF or WebP files.")
    List<Path> images;

    @Override
    public Integer call() throws IOException {
        if (size < 1) throw new IllegalArgumentException("--size " + size + ": expected a positive number of pixels");
        out.check(java.util.Map.of("IMAGE", images));
        ImagePreprocessor.Builder b = ImagePreprocessor.builder().size(size).resizeMode(parseMode(resizeMode));
        if (mean != null) b.mean(rgb("--mean", mean));
        if (std != null) b.std(rgb("--std", std));
        ImagePreprocessor pre = b.build();
        INDArray pixels = pre.batch(images); // [n, 3, N, N]
        try {
            out.write(new SafetensorsWriter()
                    .metadata("format", "pt")
                    .metadata("producer", "clip4j preprocess")
                    .metadata("resize_mode", resizeMode.toLowerCase(Locale.ROOT))
                    .put("pixel_values", pixels));
        } finally {
            pixels.close();
        }
        System.err.println("clip: wrote pixel_values " + images.size() + "x3x" + size + "x" + size + " to " + out.path());
        return 0;
    }

    static ResizeMode parseMode(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "shortest" -> ResizeMode.SHORTEST;
            case "squash" -> ResizeMode.SQUASH;
            case "longest" -> ResizeMode.LONGEST;
            default -> throw new IllegalArgumentException("--resize-mode " + s + ": expected shortest, squash or longest");
        };
    }

    private static float[] rgb(String option, float[] v) {
        if (v.length != 3) throw new IllegalArgumentException(option + ": expected 3 comma-separated values, got " + v.length);
        return v;
    }
}
