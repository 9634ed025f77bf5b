package org.clip4j.cli;

import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.io.AtomicFile;
import org.clip4j.core.tokenizer.ClipTokenizer;
import org.clip4j.encoders.ClipModel;
import org.clip4j.eval.PromptSet;
import org.clip4j.eval.ZeroShotClassifier;
import org.clip4j.train.data.SyntheticShapes;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Zero-shot accuracy of a model trained on the synthetic shapes: fresh renderings classified among all 24
 * "colour shape" labels with the prompt "a photo of a {}.", reported separately for the combinations seen in
 * training and for the held-out ones; the confusion matrix can be drawn as a PNG.
 */
final class SyntheticEvaluation {
    /** Accuracy on seen combinations, on held-out ones, and the confusion counts [true][predicted] over 24 labels. */
    record Result(double seenAccuracy, int seenCount, double heldOutAccuracy, int heldOutCount, int[][] confusion) {
    }

    private SyntheticEvaluation() {
    }

    static Result run(ClipModel model, long seed, int seenSamples, int heldOutSamples) {
        List<String> labels = SyntheticShapes.allLabels();
        int size = model.config().vision().imageSize();
        ImagePreprocessor pre = ImagePreprocessor.clip(size);
        int[][] confusion = new int[labels.size()][labels.size()];
        try (ZeroShotClassifier zs = ZeroShotClassifier.build(model, ClipTokenizer.openai(),
                new PromptSet("synthetic", labels, List.of(PromptSet.PHOTO_OF)), 64)) {
            int seen = classify(model, pre, zs, SyntheticShapes.training(seed + 104_729, size), seenSamples, confusion);
            int held = classify(model, pre, zs, SyntheticShapes.heldOutSplit(seed + 104_729, size), heldOutSamples, confusion);
            return new Result((double) seen / seenSamples, seenSamples, (double) held / heldOutSamples, heldOutSamples, confusion);
        }
    }

    private static int classify(ClipModel model, ImagePreprocessor pre, ZeroShotClassifier zs, SyntheticShapes data, int n,
                                int[][] confusion) {
        List<String> labels = zs.classes();
        int correct = 0, batch = 64;
        for (int a = 0; a < n; a += batch) {
            int m = Math.min(batch, n - a);
            float[] px = new float[m * 3 * pre.size() * pre.size()];
            int[] truth = new int[m];
            for (int i = 0; i < m; i++) {
                SyntheticShapes.Sample s = data.sample(a + i);
                float[] one = pre.apply(s.image());
                System.arraycopy(one, 0, px, i * one.length, one.length);
                truth[i] = labels.indexOf(s.label());
            }
            INDArray x = Nd4j.create(px, new long[]{m, 3, pre.size(), pre.size()});
            INDArray logits = zs.logits(model, x);
            INDArray pred = logits.argMax(1);
            for (int i = 0; i < m; i++) {
                int p = pred.getInt(i);
                confusion[truth[i]][p]++;
                if (p == truth[i]) correct++;
            }
            for (INDArray t : new INDArray[]{x, logits, pred}) t.close();
        }
        return correct;
    }

    /** The confusion matrix as a heat map with label names (rows: true label, columns: prediction). */
    static void writeConfusionPng(int[][] c, List<String> labels, Path png) throws IOException {
        int k = labels.size(), cell = 22, left = 120, top = 120;
        BufferedImage img = new BufferedImage(left + k * cell + 20, top + k * cell + 20, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.setColor(Color.BLACK);
        g.drawString("rows: true label", 4, 14);
        g.drawString("columns: prediction", 4, 28);
        g.setColor(new Color(180, 0, 0));
        g.drawString("red: held out of training", 4, 42);
        for (int i = 0; i < k; i++) {
            int rowTotal = 0;
            for (int v : c[i]) rowTotal += v;
            for (int j = 0; j < k; j++) {
                float f = rowTotal == 0 ? 0 : (float) c[i][j] / rowTotal;
                g.setColor(new Color(1 - f * 0.8f, 1 - f * 0.6f, 1f));
                g.fillRect(left + j * cell, top + i * cell, cell - 1, cell - 1);
            }
            g.setColor(SyntheticShapes.DEFAULT_HELD_OUT.contains(labels.get(i)) ? new Color(180, 0, 0) : Color.BLACK);
            g.drawString(labels.get(i), 4, top + i * cell + 15);
            Graphics2D r = (Graphics2D) g.create();
            r.rotate(-Math.PI / 2, left + i * cell + 15, top - 4);
            r.drawString(labels.get(i), left + i * cell + 15, top - 4);
            r.dispose();
        }
        g.dispose();
        AtomicFile.write(png, AtomicFile.IfExists.REPLACE, out -> javax.imageio.ImageIO.write(img, "png", out));
    }

    static String describe(Result r) {
        return String.format(Locale.ROOT, "zero-shot top-1 over 24 colour-shape labels: %.1f %% on %d fresh renderings of "
                        + "trained combinations, %.1f %% on %d renderings of the 4 held-out combinations (chance 4.2 %%)",
                100 * r.seenAccuracy(), r.seenCount(), 100 * r.heldOutAccuracy(), r.heldOutCount());
    }
}
