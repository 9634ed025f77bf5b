package org.clip4j.train;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Parameter;
import org.clip4j.encoders.ClipModel;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Feature-caching accumulation gives the gradient of one big batch. */
class FeatureCachingStepTest {
    static ClipConfig tiny() {
        return ClipConfig.fromJson("{\"embed_dim\":16,\"quick_gelu\":true,"
                + "\"vision_cfg\":{\"image_size\":16,\"layers\":2,\"width\":32,\"patch_size\":8,\"head_width\":16},"
                + "\"text_cfg\":{\"context_length\":8,\"vocab_size\":50,\"width\":24,\"heads\":3,\"layers\":2}}");
    }

    static INDArray ids(int n, int ctx, int vocab, long seed) {
        Random r = new Random(seed);
        long[][] ids = new long[n][ctx];
        for (long[] row : ids) {
            int len = 1 + r.nextInt(ctx - 2);
            row[0] = vocab - 2;
            for (int i = 1; i <= len; i++) row[i] = 1 + r.nextInt(vocab - 3);
            row[len + 1] = vocab - 1; // end of text: the largest id
        }
        return Nd4j.createFromArray(ids);
    }

    private static Map<String, INDArray> grads(ClipModel m) {
        Map<String, INDArray> g = new HashMap<>();
        for (Parameter p : m.parameters()) if (p.isTrainable()) g.put(p.name(), p.grad().dup());
        return g;
    }

    @Test
    void microBatchesGiveTheFullBatchGradient() {
        int n = 12;
        INDArray images = Nd4j.randn(DataType.FLOAT, n, 3, 16, 16);
        INDArray ids = ids(n, 8, 50, 3);
        try (ClipModel m = ClipModel.create(tiny(), 7)) {
            double full = m.forwardBackward(images, ids);
            Map<String, INDArray> want = grads(m);
            for (int micro : new int[]{1, 5, 6}) {
                m.zeroGrad();
                double loss = FeatureCachingStep.forwardBackward(m, images, ids, micro);
                assertEquals(full, loss, 1e-6 * Math.abs(full), "loss, micro-batch " + micro);
                double worst = 0;
                for (Parameter p : m.parameters()) {
                    if (!p.isTrainable()) continue;
                    INDArray w = want.get(p.name());
                    double scale = w.amaxNumber().doubleValue();
                    double err = p.grad().sub(w).amaxNumber().doubleValue() / scale;
                    assertTrue(scale > 0, p.name() + " has no gradient");
                    worst = Math.max(worst, err);
                }
                assertTrue(worst <= 1e-4, "micro-batch " + micro + ": worst normwise relative error " + worst);
            }
        }
    }

    @Test
    void gradientsAccumulateAcrossCallsAndBadInputIsRejected() {
        int n = 4;
        INDArray images = Nd4j.randn(DataType.FLOAT, n, 3, 16, 16);
        INDArray ids = ids(n, 8, 50, 5);
        try (ClipModel m = ClipModel.create(tiny(), 1)) {
            FeatureCachingStep.forwardBackward(m, images, ids, 2);
            INDArray once = m.logitScale().grad().dup();
            FeatureCachingStep.forwardBackward(m, images, ids, 2);
            assertEquals(2 * once.getDouble(0), m.logitScale().grad().getDouble(0), 1e-6 * Math.abs(once.getDouble(0)));
            assertThrows(IllegalArgumentException.class, () -> FeatureCachingStep.forwardBackward(m, images, ids(3, 8, 50, 1), 2));
            assertThrows(IllegalArgumentException.class, () -> FeatureCachingStep.forwardBackward(m, images, ids, 0));
        }
    }

    static ClipConfig microResNet() {
        return ClipConfig.fromJson("{\"embed_dim\":16,\"quick_gelu\":true,"
                + "\"vision_cfg\":{\"image_size\":32,\"layers\":[1,1,1,1],\"width\":8,\"patch_size\":null},"
                + "\"text_cfg\":{\"context_length\":8,\"vocab_size\":50,\"width\":24,\"heads\":3,\"layers\":1}}");
    }

    @Test
    void resNetEvalModeMatchesFullBatchAndTrainModeUpdatesRunningStatisticsOncePerMicroBatch() {
        int n = 8;
        INDArray images = Nd4j.randn(DataType.FLOAT, n, 3, 32, 32);
        INDArray ids = ids(n, 8, 50, 9);
        try (ClipModel m = ClipModel.create(microResNet(), 2)) {
            m.forwardBackward(images, ids); // eval mode: running statistics
            Map<String, INDArray> want = grads(m);
            m.zeroGrad();
            FeatureCachingStep.forwardBackward(m, images, ids, 4);
            for (Parameter p : m.parameters()) {
                if (!p.isTrainable()) continue;
                INDArray w = want.get(p.name());
                double scale = w.amaxNumber().doubleValue();
                // a key bias has zero gradient in theory (softmax is shift-invariant): its value is rounding noise
                if (scale == 0 || p.name().endsWith("k_proj.bias")) continue;
                assertTrue(p.grad().sub(w).amaxNumber().doubleValue() / scale <= 1e-4, p.name());
            }
            m.train(true);
            Parameter counter = m.stateDict().stream().filter(p -> p.name().equals("visual.bn1.num_batches_tracked")).findFirst().orElseThrow();
            long before = counter.value().getLong(0);
            FeatureCachingStep.forwardBackward(m, images, ids, 4); // 2 micro-batches
            assertEquals(before + 2, counter.value().getLong(0), "one running-statistics update per micro-batch");
        }
    }
}
