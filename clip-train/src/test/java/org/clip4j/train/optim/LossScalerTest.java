package org.clip4j.train.optim;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Precision;
import org.clip4j.encoders.ClipModel;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** GradScaler semantics: backoff on overflow, growth after clean steps, exact unscaling, overflow detection. */
class LossScalerTest {
    static final ClipConfig SMALL = ClipConfig.fromJson("{\"embed_dim\": 16, \"quick_gelu\": true, \"vision_cfg\": "
            + "{\"image_size\": 16, \"layers\": 1, \"width\": 32, \"patch_size\": 8, \"head_width\": 16}, \"text_cfg\":"
            + " {\"context_length\": 8, \"vocab_size\": 50, \"width\": 24, \"heads\": 3, \"layers\": 1}}");

    @Test
    void defaultsArePyTorchGradScalers() {
        LossScaler s = LossScaler.builder().build();
        assertEquals(65536.0, s.scale());
        assertEquals(0, s.growthTracker());
        for (int i = 0; i < 1999; i++) s.update(false);
        assertEquals(65536.0, s.scale());
        s.update(false);
        assertEquals(131072.0, s.scale(), "growth ×2 after 2,000 clean steps");
        s.update(true);
        assertEquals(65536.0, s.scale(), "backoff ×0.5");
    }

    @Test
    void overflowBacksOffAndRestartsTheCountOfCleanSteps() {
        LossScaler s = LossScaler.builder().initialScale(1024).growthInterval(3).growthFactor(4).backoffFactor(0.25).build();
        s.update(false);
        s.update(false);
        assertEquals(new LossScaler.State(1024, 2), s.state());
        s.update(true);
        assertEquals(new LossScaler.State(256, 0), s.state());
        s.update(false);
        s.update(false);
        assertEquals(256, s.scale(), "two clean steps after the overflow: not yet");
        s.update(false);
        assertEquals(new LossScaler.State(1024, 0), s.state());
        LossScaler restored = LossScaler.builder().build();
        restored.load(new LossScaler.State(512, 7));
        assertEquals(new LossScaler.State(512, 7), restored.state());
    }

    @Test
    void badOptionsNameTheFieldAndTheExpectation() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LossScaler.builder().initialScale(0))
                .getMessage().contains("initialScale 0.0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LossScaler.builder().growthFactor(1))
                .getMessage().contains("growthFactor 1.0: expected > 1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LossScaler.builder().backoffFactor(1))
                .getMessage().contains("backoffFactor 1.0: expected in (0, 1)"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LossScaler.builder().growthInterval(0))
                .getMessage().contains("growthInterval 0: expected >= 1"));
        assertThrows(IllegalArgumentException.class, () -> LossScaler.builder().build().load(new LossScaler.State(-1, 0)));
    }

    @Test
    void unscaleRestoresTheGradientAndDetectsInfAndNan() {
        Parameter p = Parameter.trainable("w", 3, 4);
        p.set(Nd4j.zeros(DataType.FLOAT, 3, 4));
        Nd4j.getRandom().setSeed(1);
        INDArray g = Nd4j.randn(DataType.FLOAT, 3, 4);
        LossScaler s = LossScaler.builder().initialScale(4096).build();
        p.accumulate(g.mul(4096));
        assertFalse(s.unscale(List.of(p)));
        assertEquals(g, p.grad(), "a power-of-two scale unscales exactly");
        for (double bad : new double[] {Double.POSITIVE_INFINITY, Double.NaN}) {
            p.grad().putScalar(1, 2, bad);
            assertTrue(s.unscale(List.of(p)), "detects " + bad);
        }
        p.release();
    }

    private static Map<String, INDArray> grads(ClipModel m) {
        Map<String, INDArray> g = new LinkedHashMap<>();
        for (Parameter p : m.parameters()) g.put(p.name(), p.grad().dup());
        return g;
    }

    @Test
    void unscaledFp16GradientsEqualTheUnscaledRunAndAHugeScaleOverflows() {
        Nd4j.getRandom().setSeed(2);
        INDArray images = Nd4j.randn(DataType.FLOAT, 4, 3, 16, 16);
        INDArray ids = Nd4j.createFromArray(new long[][] {{48, 5, 9, 49, 0, 0, 0, 0}, {48, 7, 49, 0, 0, 0, 0, 0},
                {48, 3, 3, 3, 12, 49, 0, 0}, {48, 30, 31, 49, 0, 0, 0, 0}});
        try (ClipModel m = ClipModel.create(SMALL, 3)) {
            List<Parameter> params = m.parameters();
            // float32 products: scaling by 2^16 then unscaling is exact, bit for bit
            m.zeroGrad();
            m.forwardBackward(images, ids, true, true, 1.0);
            Map<String, INDArray> fp32 = grads(m);
            LossScaler s = LossScaler.builder().build();
            m.zeroGrad();
            m.forwardBackward(images, ids, true, true, s.scale());
            assertFalse(s.unscale(params));
            for (Parameter p : params) assertEquals(fp32.get(p.name()), p.grad(), p.name());

            // fp16 products: unscaled gradients equal those of an unscaled fp16 run up to the rounding that
            // scaling shifts (values below fp16's normal range are flushed without it)
            m.setPrecision(Precision.FP16);
            m.zeroGrad();
            m.forwardBackward(images, ids, true, true, 1.0);
            Map<String, INDArray> fp16 = grads(m);
            // (the default 2^16 overflows here: loss gradients of order 1 reach 65,536 — GradScaler's usual first
            // skipped steps; 2^8 does not)
            LossScaler small = LossScaler.builder().initialScale(256).build();
            m.zeroGrad();
            m.forwardBackward(images, ids, true, true, small.scale());
            assertFalse(small.unscale(params), "2^8 does not overflow here");
            for (Parameter p : params) {
                INDArray d = p.grad().sub(fp16.get(p.name()));
                double rel = d.norm2Number().doubleValue() / fp16.get(p.name()).norm2Number().doubleValue();
                assertTrue(rel < 1e-2, p.name() + ": " + rel);
                d.close();
            }

            // a scale of 2^40 pushes the loss gradient past fp16's largest value, 65,504: inf, step skipped
            LossScaler huge = LossScaler.builder().initialScale(Math.pow(2, 40)).build();
            m.zeroGrad();
            double loss = m.forwardBackward(images, ids, true, true, huge.scale());
            assertTrue(Double.isFinite(loss), "the loss itself is not scaled");
            boolean overflow = huge.unscale(params);
            assertTrue(overflow);
            huge.update(overflow);
            assertEquals(Math.pow(2, 39), huge.scale());
            fp32.values().forEach(INDArray::close);
            fp16.values().forEach(INDArray::close);
        }
    }
}
