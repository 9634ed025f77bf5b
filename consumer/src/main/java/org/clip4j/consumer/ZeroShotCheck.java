package org.clip4j.consumer;

import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.tokenizer.ClipTokenizer;
import org.clip4j.encoders.ClipModel;
import org.clip4j.eval.PromptSet;
import org.clip4j.eval.ZeroShotClassifier;
import org.nd4j.linalg.api.ndarray.INDArray;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The consumer check: zero-shot classification through clip4j's public API, from a project that only knows the
 * published coordinates (clip-bom, clip-core, clip-encoders, clip-eval). With a {@code .safetensors} argument it
 * classifies with that model; without, it creates the built-in {@code clip4j-tiny} model, saves it and loads it
 * back, and checks that the loaded model gives the same image features. It draws two images, classifies them and
 * checks that each softmax is a probability distribution. Exit code 0 when every check passes, 1 otherwise.
 */
public final class ZeroShotCheck {
    private ZeroShotCheck() {
    }

    /** Runs the check; {@code args[0]}, optional, is a model file. */
    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("clip4j-consumer");
        List<String> labels = List.of("red circle", "blue square", "green triangle");
        List<Path> images = List.of(draw(dir.resolve("red-circle.png"), Color.RED, true),
                draw(dir.resolve("blue-square.png"), Color.BLUE, false));
        List<String> failures = new ArrayList<>();

        ClipModel model;
        if (args.length > 0) {
            if (!Files.isRegularFile(Path.of(args[0]))) {
                System.err.println("consumer check: model file " + args[0] + " not found (expected a .safetensors file)");
                System.exit(2);
            }
            model = ClipModel.load(Path.of(args[0]));
        } else {
            Path file = dir.resolve("clip4j-tiny.safetensors");
            try (ClipModel created = ClipModel.create(ClipConfig.builtin("clip4j-tiny"), 0)) {
                created.save(file);
                model = ClipModel.load(file);
                ImagePreprocessor pre = ImagePreprocessor.clip(created.config().vision().imageSize());
                try (INDArray px = pre.batch(images); INDArray a = created.encodeImage(px); INDArray b = model.encodeImage(px);
                     INDArray d = a.sub(b)) { // every array made here is released at the end of the try, d included
                    double diff = d.amaxNumber().doubleValue();
                    System.out.printf(Locale.ROOT, "saved and loaded %s: largest image-feature difference %.3g%n", file.getFileName(), diff);
                    if (diff != 0) failures.add("the loaded model's image features differ from the saved model's by " + diff);
                }
            }
        }

        try (model;
             ZeroShotClassifier classifier = ZeroShotClassifier.build(model, ClipTokenizer.openai(),
                     new PromptSet("consumer", labels, List.of(PromptSet.PHOTO_OF)), 64);
             INDArray pixels = ImagePreprocessor.clip(model.config().vision().imageSize()).batch(images);
             INDArray logits = classifier.logits(model, pixels)) {
            for (int i = 0; i < logits.size(0); i++) {
                double[] row = new double[(int) logits.size(1)];
                for (int k = 0; k < row.length; k++) row[k] = logits.getDouble(i, k); // no native row copies
                double[] p = softmax(row);
                double sum = 0;
                int best = 0;
                for (int k = 0; k < p.length; k++) {
                    sum += p[k];
                    if (p[k] > p[best]) best = k;
                    if (!(p[k] >= 0 && p[k] <= 1)) failures.add(images.get(i).getFileName() + ": probability " + p[k]);
                }
                if (Math.abs(sum - 1) > 1e-9) failures.add(images.get(i).getFileName() + ": probabilities sum to " + sum);
                System.out.printf(Locale.ROOT, "%s: %s (%.3f)%n", images.get(i).getFileName(), labels.get(best), p[best]);
            }
        }
        if (!failures.isEmpty()) {
            failures.forEach(f -> System.err.println("consumer check: FAILED: " + f));
            System.exit(1);
        }
        System.out.println("consumer check: OK (clip-bom, clip-core, clip-encoders, clip-eval)");
    }

    private static double[] softmax(double[] logits) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : logits) max = Math.max(max, v);
        double[] p = new double[logits.length];
        for (int k = 0; k < p.length; k++) sum += p[k] = Math.exp(logits[k] - max);
        for (int k = 0; k < p.length; k++) p[k] /= sum;
        return p;
    }

    /** A 64×64 PNG: a filled circle or square of {@code color} on white. */
    private static Path draw(Path file, Color color, boolean circle) throws IOException {
        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 64, 64);
        g.setColor(color);
        if (circle) g.fillOval(12, 12, 40, 40);
        else g.fillRect(12, 12, 40, 40);
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
        return file;
    }
}
