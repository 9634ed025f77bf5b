package org.clip4j.train.dist;

import org.clip4j.train.optim.LrSchedule;
import org.clip4j.train.optim.SgdConfig;
import org.clip4j.core.ClipException;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.encoders.ClipModel;
import org.clip4j.encoders.ModifiedResNet;
import org.clip4j.train.Trainer;
import org.clip4j.train.TrainingListener;
import org.clip4j.train.data.SyntheticShapes;
import org.clip4j.train.data.SyntheticSource;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * k = 5 data-parallel training steps on 2 and 3 in-JVM ranks equal a single process at the same global batch.
 *
 * <p>Tolerance: the ranks compute the same sums in another order (the loss in row blocks, gradients summed over
 * ranks), so each step's gradient differs from the single process by float32 rounding, about 1e-6 of its norm or
 * less for these sizes (sums of at most a few thousand terms, eps 6e-8). SGD turns that into weight differences of
 * lr × that per step, far below 1e-5 of weights that are of order 0.02 to 1. (AdamW is not used here: it divides
 * each gradient by its own running magnitude, which turns the pure rounding noise of gradients that are zero in
 * exact arithmetic, such as the attention key bias's, into full-size updates of random sign.) A wrong split (a
 * sample twice, a missed reduce-scatter, logit_scale's gradient doubled) changes gradients by O(1) and so the weights
 * by the size of the training updates; the test checks that training moved the weights by more than 1e-3.
 */
class DataParallelTrainingTest {
    static ClipConfig vit() {
        return ClipConfig.fromJson("{\"embed_dim\":16,\"quick_gelu\":true,"
                + "\"vision_cfg\":{\"image_size\":32,\"layers\":1,\"width\":32,\"patch_size\":8,\"head_width\":16},"
                + "\"text_cfg\":{\"context_length\":16,\"vocab_size\":49408,\"width\":32,\"heads\":2,\"layers\":1}}");
    }

    static ClipConfig resnet() {
        return ClipConfig.fromJson("{\"embed_dim\":16,"
                + "\"vision_cfg\":{\"image_size\":32,\"layers\":[1,1,1,1],\"width\":8,\"head_width\":16},"
                + "\"text_cfg\":{\"context_length\":16,\"vocab_size\":49408,\"width\":32,\"heads\":2,\"layers\":1}}");
    }

    static final int BATCH = 12, STEPS = 5;

    /** 40 samples: five steps of 12 cross an epoch boundary (a new permutation). */
    static Trainer.Builder base(ClipConfig cfg) {
        return Trainer.builder().model(cfg).data(new SyntheticSource(SyntheticShapes.training(3, 32), 40))
                .batchSize(BATCH).steps(STEPS).optimizer(SgdConfig.of(0.5, 0.9, 0.2)).schedule(LrSchedule.cosine(0)).seed(5).dataThreads(1);
    }

    /**
     * ResNets train here with BatchNorm in evaluation mode (running statistics, an affine map): batch statistics
     * over the few values of a tiny test batch turn rounding noise into O(1e-4) differences within five steps;
     * {@link DistributedStepTest} checks per-rank batch statistics on one step's gradient.
     */
    static Trainer.Builder evalBatchNorm(Trainer.Builder b) {
        return b.listener(new TrainingListener() {
            @Override
            public void onStart(ClipModel model) {
                if (model.visual() instanceof ModifiedResNet r) r.batchNorms().forEach(bn -> bn.train(false));
            }
        });
    }

    private static Map<String, float[]> single(ClipConfig cfg, int accumFreq) {
        try (ClipModel m = evalBatchNorm(base(cfg)).accumFreq(accumFreq).build().run().model()) {
            return Ranks.weights(m);
        }
    }

    private static void check(ClipConfig cfg, boolean resnet, int ranks, int accumFreq) throws Exception {
        Map<String, float[]> want = single(cfg, accumFreq);
        Map<String, float[]> init;
        try (ClipModel m = ClipModel.create(cfg, 5)) {
            init = Ranks.weights(m);
        }
        assertTrue(Ranks.moved(init, want) > 1e-3, "training moved the weights");
        List<Map<String, float[]>> got = Ranks.train(ranks, c -> evalBatchNorm(base(cfg)).accumFreq(accumFreq).collectives(c).build());
        for (int r = 0; r < ranks; r++) {
            Ranks.assertClose(want, got.get(r), 1e-5, (resnet ? "ResNet" : "ViT") + ", " + ranks + " ranks, accum-freq "
                    + accumFreq + ", rank " + r);
        }
    }

    @Test
    void vitOnTwoAndThreeRanksEqualsOneProcess() throws Exception {
        check(vit(), false, 2, 1);
        check(vit(), false, 3, 1);
    }

    @Test
    void vitWithAccumFreqOnTwoAndThreeRanksEqualsOneProcess() throws Exception {
        check(vit(), false, 2, 2);
        check(vit(), false, 3, 2);
    }

    @Test
    void resnetOnTwoAndThreeRanksEqualsOneProcess() throws Exception {
        check(resnet(), true, 2, 1);
        check(resnet(), true, 3, 1);
    }

    @Test
    void resnetWithAccumFreqOnTwoAndThreeRanksEqualsOneProcess() throws Exception {
        check(resnet(), true, 2, 2);
        check(resnet(), true, 3, 2);
    }

    @Test
    void aGlobalBatchThatDoesNotSplitIsRefusedClearly() {
        ClipException e = assertThrows(ClipException.class, () -> DataParallel.of(LocalCollectives.group(5).get(0)).microBatch(12, 1));
        assertTrue(e.getMessage().contains("TrainConfig.batchSize 12") && e.getMessage().contains("5 ranks"), e.getMessage());
        assertEquals(3, DataParallel.of(LocalCollectives.group(2).get(1)).microBatch(12, 2));
        assertEquals(6, DataParallel.of(null).microBatch(12, 2));
    }
}
