package org.clip4j.examples.bench;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Tape;
import org.clip4j.encoders.ClipModel;
import org.clip4j.encoders.ImageEncoder;
import org.clip4j.encoders.TextTransformer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * One benchmark row per JVM (so that peak resident memory belongs to that row): times forward and
 * forward+backward of a tower or a whole CLIP training step, float32, and prints one JSON line.
 *
 * <pre>
 * java ... ModelBenchmark ROW [STEPS]
 *   ROW: vit-b32-image-8 | vit-b32-image-32 | rn50-image-8 | text-32 | vit-b32-train-32
 * </pre>
 *
 * Forward+backward of a tower backpropagates a gradient of ones from its features (the same as
 * {@code features.sum().backward()} on the Python side); the training step is {@link ClipModel#forwardBackward}
 * (both towers and the symmetric contrastive loss). Random weights (the reference initialisation) and random
 * inputs: speed does not depend on the values. See {@code examples/bench/run-model-bench.sh}.
 */
public final class ModelBenchmark {
    public static void main(String[] args) throws IOException {
        String row = args.length > 0 ? args[0] : "vit-b32-image-8";
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        // QuickGELU twins: the reference CLIP class always uses QuickGELU.
        String model = row.startsWith("rn50") ? "RN50-quickgelu" : "ViT-B-32-quickgelu";
        int batch = Integer.parseInt(row.substring(row.lastIndexOf('-') + 1));
        ClipConfig cfg = ClipConfig.builtin(model);
        long t0 = System.nanoTime();
        try (ClipModel m = ClipModel.create(cfg, 0)) {
            double createS = (System.nanoTime() - t0) / 1e9;
            Random rnd = new Random(0);
            int r = cfg.vision().imageSize();
            INDArray images = Nd4j.randn(DataType.FLOAT, batch, 3, r, r);                // [n, 3, R, R]
            long[][] ids = new long[batch][cfg.text().contextLength()];
            for (long[] rowIds : ids) {                                                    // [n, C]: SOT, words, EOT, pad
                int len = 5 + rnd.nextInt(40);
                rowIds[0] = 49406;
                for (int i = 1; i < len; i++) rowIds[i] = 1 + rnd.nextInt(49000);
                rowIds[len] = 49407;
            }
            INDArray tokens = Nd4j.createFromArray(ids);
            double fwd = Double.NaN, fwdBwd;
            long rssAfterWarmup;
            if (row.contains("-train-")) {
                m.forwardBackward(images, tokens); // first step (allocations), for the RSS after it
                rssAfterWarmup = rssKb("VmRSS");
                fwdBwd = median(steps, () -> {
                    m.zeroGrad();
                    m.forwardBackward(images, tokens);
                });
            } else if (row.startsWith("text")) {
                TextTransformer text = m.text();
                fwd = median(steps, () -> text.forward(tokens, null).close());
                rssAfterWarmup = rssKb("VmRSS");
                fwdBwd = median(steps, () -> {
                    try (Tape tape = new Tape()) {
                        INDArray f = text.forward(tokens, tape);
                        INDArray ones = Nd4j.onesLike(f);
                        text.backward(ones, tape);
                        f.close();
                        ones.close();
                    }
                });
            } else {
                ImageEncoder visual = m.visual();
                fwd = median(steps, () -> visual.forward(images, null).close());
                rssAfterWarmup = rssKb("VmRSS");
                fwdBwd = median(steps, () -> {
                    try (Tape tape = new Tape()) {
                        INDArray f = visual.forward(images, tape);
                        INDArray ones = Nd4j.onesLike(f);
                        visual.backward(ones, tape);
                        f.close();
                        ones.close();
                    }
                });
            }
            System.out.printf(Locale.ROOT, "{\"impl\": \"clip4j\", \"row\": \"%s\", \"forward_s\": %.4f, "
                            + "\"forward_backward_s\": %.4f, \"steps\": %d, \"peak_rss_mb\": %.0f, "
                            + "\"rss_after_warmup_mb\": %.0f, \"rss_end_mb\": %.0f, \"create_s\": %.1f, "
                            + "\"threads\": %s, \"native_build\": \"%s\", \"warmup_s\": %.0f, \"warmup_runs\": %d}%n",
                    row, fwd, fwdBwd, steps, rssKb("VmHWM") / 1024.0, rssAfterWarmup / 1024.0,
                    rssKb("VmRSS") / 1024.0, createS, System.getenv().getOrDefault("OMP_NUM_THREADS", "default"),
                    System.getProperty("org.bytedeco.javacpp.platform.extension", "plain"), WARMUP_S, warmupRuns);
            images.close();
            tokens.close();
        }
    }

    /**
     * Seconds of warm-up before each measured phase: the environment variable {@code WARMUP_S} (default 60; the
     * Python peers read the same one). The JVM compiles the hot paths while the first steps run, and on 2 cores its
     * compiler threads take CPU time from the step: RN50 forward+backward at batch 8 ran about 1.85 s per step over
     * its first 20 steps (the C2 thread used 0.94 s of CPU per 10 s) and settled at 1.67–1.75 s after 30–40
     * steps (60–80 s), while PyTorch's steps stay at 1.85–1.95 s from the second on (docs/performance.md). A
     * median over the first steps measures the warm-up, not the steady state a training run spends its time in.
     */
    static final double WARMUP_S = warmupSeconds();

    private static double warmupSeconds() {
        String v = System.getenv().getOrDefault("WARMUP_S", "60");
        try {
            double s = Double.parseDouble(v);
            if (s >= 0 && Double.isFinite(s)) return s;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("WARMUP_S: expected a number of seconds >= 0, got '" + v + "'");
    }

    /** Runs of work spent in the warm-ups so far (reported in the JSON line). */
    static int warmupRuns;

    /**
     * Median wall time (seconds) of {@code steps} runs after a warm-up: one run at least, then more until
     * {@link #WARMUP_S} seconds have passed.
     */
    static double median(int steps, Runnable work) {
        long start = System.nanoTime();
        do {
            work.run();
            warmupRuns++;
        } while (System.nanoTime() - start < WARMUP_S * 1e9);
        double[] t = new double[steps];
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            work.run();
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(t);
        return t[steps / 2];
    }

    /** A field of /proc/self/status in kB (VmRSS: resident now; VmHWM: peak resident). */
    static long rssKb(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        return -1;
    }

    private ModelBenchmark() {
    }
}
