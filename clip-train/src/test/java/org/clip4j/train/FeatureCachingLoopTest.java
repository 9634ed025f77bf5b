package org.clip4j.train;

import org.clip4j.core.nn.Parameter;
import org.clip4j.encoders.ClipModel;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A feature-caching step that fails half-way releases every array it was handed and leaves no gradient. */
class FeatureCachingLoopTest {
    /** Three micro-batches of two pairs; the one at {@code badIndex} has one text too few. Records every array. */
    private static final class Source implements FeatureCachingStep.MicroBatches {
        final List<INDArray> handedOut = new ArrayList<>();
        final int badIndex;

        Source(int badIndex) {
            this.badIndex = badIndex;
        }

        @Override
        public int count() {
            return 3;
        }

        @Override
        public INDArray images(int k, boolean secondPass) {
            Nd4j.getRandom().setSeed(10 + k);
            INDArray x = Nd4j.randn(DataType.FLOAT, 2, 3, 16, 16);
            handedOut.add(x);
            return x;
        }

        @Override
        public INDArray ids(int k) {
            INDArray t = FeatureCachingStepTest.ids(k == badIndex ? 1 : 2, 8, 50, k);
            handedOut.add(t);
            return t;
        }
    }

    @Test
    void aMismatchedMicroBatchReleasesEverythingAndLeavesTheGradientsAtZero() {
        try (ClipModel m = ClipModel.create(FeatureCachingStepTest.tiny(), 7)) {
            Source s = new Source(2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> FeatureCachingStep.forwardBackward(m, s));
            assertEquals("micro-batch 2 has 2 images but 1 texts", e.getMessage());
            assertEquals(6, s.handedOut.size());
            for (INDArray a : s.handedOut) assertTrue(a.wasClosed(), "an input the step took was not released");
            for (Parameter p : m.parameters()) {
                if (p.hasGrad()) assertEquals(0.0, p.grad().amaxNumber().doubleValue(), 0.0, p.name());
            }
        }
    }

    @Test
    void aFailingLossStageReleasesTheInputsAndFeatures() {
        try (ClipModel m = ClipModel.create(FeatureCachingStepTest.tiny(), 7)) {
            Source s = new Source(-1);
            List<INDArray> features = new ArrayList<>();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> FeatureCachingLoop.run(m, s, false, true, true, (img, txt) -> {
                        assertArrayEquals(new long[]{6, 16}, img.shape());
                        features.add(img);
                        features.add(txt);
                        throw new IllegalStateException("loss stage failed");
                    }));
            assertEquals("loss stage failed", e.getMessage());
            assertEquals(6, s.handedOut.size());
            for (INDArray a : s.handedOut) assertTrue(a.wasClosed(), "an input the step took was not released");
            for (INDArray a : features) assertTrue(a.wasClosed(), "the stacked features were not released");
        }
    }
}
