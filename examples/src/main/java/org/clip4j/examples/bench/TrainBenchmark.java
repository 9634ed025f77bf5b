package org.clip4j.examples.bench;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Precision;
import org.clip4j.encoders.ClipModel;
import org.clip4j.train.optim.AdamW;
import org.clip4j.train.optim.GradientTools;
import org.clip4j.train.optim.LossScaler;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Training throughput, one row per JVM: full optimiser steps of the CLIP recipe on fixed random inputs —
 * zero the gradients, forward both towers, symmetric contrastive loss, backward, AdamW (decay on matrices
 * only, β2 0.98, ε 1e-6), clamp the temperature — and prints one JSON line with samples/s and peak RSS.
 * The data pipeline is left out on purpose (its own numbers are in docs/performance.md); the PyTorch peer
 * {@code examples/bench/train_peer.py} runs the same loop.
 *
 * <pre>
 * java ... TrainBenchmark ROW [STEPS]
 *   ROW: tiny-64 (the clip4j-tiny config, batch 64) | vit-b32-32 (ViT-B/32, batch 32)
 * java ... TrainBenchmark ROW STEPS recompute     (the same with activation recompute)
 * java ... TrainBenchmark ROW STEPS - bf16        (mixed precision: products in bf16 or fp16, see Precision;
 *                                                  fp16 scales the loss gradient by 2^16 and unscales, as the
 *                                                  Trainer does; "-" = no recompute)
 * </pre>
 */
public final class TrainBenchmark {
    public static void main(String[] args) throws IOException {
        String row = args.length > 0 ? args[0] : "tiny-64";
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        ClipConfig cfg = ClipConfig.builtin(row.startsWith("tiny") ? "clip4j-tiny" : "ViT-B-32-quickgelu");
        int batch = Integer.parseInt(row.substring(row.lastIndexOf('-') + 1));
        boolean recompute = args.length > 2 && args[2].equals("recompute");
        Precision precision = args.length > 3 ? Precision.parse(args[3]) : Precision.FP32;
        try (ClipModel m = ClipModel.create(cfg, 0)) {
            m.setActivationRecompute(recompute);
            m.setPrecision(precision);
            int r = cfg.vision().imageSize(), ctx = cfg.text().contextLength();
            INDArray images = Nd4j.randn(DataType.FLOAT, batch, 3, r, r);                 // [n, 3, R, R]
            Random rnd = new Random(0);
            long[][] ids = new long[batch][ctx];                                            // [n, C]
            for (long[] t : ids) {
                int len = Math.min(ctx - 1, 5 + rnd.nextInt(10)); // captions of a few words, as the synthetic ones
                t[0] = 49406;
                for (int i = 1; i < len; i++) t[i] = 1 + rnd.nextInt(49000);
                t[len] = 49407;
            }
            INDArray tokens = Nd4j.createFromArray(ids);
            List<Parameter> params = new ArrayList<>(m.parameters());
            m.train(true);
            LossScaler scaler = precision.needsLossScaling() ? LossScaler.builder().build() : null;
            try (AdamW opt = AdamW.vitDefaults(params, 0.2)) {
                Runnable step = () -> {
                    m.zeroGrad();
                    m.forwardBackward(images, tokens, true, true, scaler == null ? 1.0 : scaler.scale());
                    boolean overflow = scaler != null && scaler.unscale(params);
                    if (scaler != null) scaler.update(overflow);
                    if (!overflow) opt.step(1e-4);
                    GradientTools.clampLogitScale(m.logitScale());
                };
                double median = ModelBenchmark.median(steps, step); // its warm-up allocates the optimiser moments
                System.out.printf(Locale.ROOT, "{\"impl\": \"clip4j\", \"row\": \"%s\", \"recompute\": %b, \"precision\": \"%s\", \"step_s\": %.4f, \"samples_per_s\": %.1f, "
                                + "\"steps\": %d, \"peak_rss_mb\": %.0f, \"rss_end_mb\": %.0f, \"parameters\": %d, "
                                + "\"threads\": \"%s\", \"native_build\": \"%s\", \"warmup_s\": %.0f, \"warmup_runs\": %d}%n",
                        row, recompute, precision.cliName(), median, batch / median, steps, ModelBenchmark.rssKb("VmHWM") / 1024.0,
                        ModelBenchmark.rssKb("VmRSS") / 1024.0, m.parameterCount(),
                        System.getenv().getOrDefault("OMP_NUM_THREADS", "default"),
                        System.getProperty("org.bytedeco.javacpp.platform.extension", "plain"),
                        ModelBenchmark.WARMUP_S, ModelBenchmark.warmupRuns);
            }
            images.close();
            tokens.close();
        }
    }

    private TrainBenchmark() {
    }
}
