package org.clip4j.encoders;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Precision;
import org.clip4j.core.nn.Tensors;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A whole (small) ViT CLIP in bf16 and fp16 against float32: features, loss and every parameter gradient within
 * the half types' precision, and measurably different from float32 (the half path ran).
 */
class MixedPrecisionModelTest {
    static final ClipConfig SMALL = ClipConfig.fromJson("{\"embed_dim\": 16, \"quick_gelu\": true, \"vision_cfg\": "
            + "{\"image_size\": 16, \"layers\": 2, \"width\": 32, \"patch_size\": 8, \"head_width\": 16}, \"text_cfg\":"
            + " {\"context_length\": 8, \"vocab_size\": 50, \"width\": 24, \"heads\": 3, \"layers\": 2}}");

    private static double relErr(INDArray got, INDArray want) {
        INDArray d = got.sub(want);
        double e = d.norm2Number().doubleValue() / want.norm2Number().doubleValue();
        d.close();
        return e;
    }

    private record Run(INDArray imageFeatures, INDArray textFeatures, double loss, Map<String, INDArray> grads) {
        void close() {
            Tensors.release(imageFeatures, textFeatures);
            grads.values().forEach(Tensors::release);
        }
    }

    private static Run run(ClipModel m, Precision p, INDArray images, INDArray ids) {
        m.setPrecision(p);
        m.zeroGrad();
        INDArray img = m.encodeImage(images), txt = m.encodeText(ids);
        double loss = m.forwardBackward(images, ids);
        Map<String, INDArray> grads = new LinkedHashMap<>();
        for (Parameter q : m.parameters()) grads.put(q.name(), q.grad().dup());
        return new Run(img, txt, loss, grads);
    }

    @Test
    void featuresLossAndGradientsInHalfPrecisionAreCloseToFloat32() {
        Nd4j.getRandom().setSeed(3);
        INDArray images = Nd4j.randn(DataType.FLOAT, 6, 3, 16, 16);
        INDArray ids = Nd4j.createFromArray(new long[][] {{48, 5, 9, 49, 0, 0, 0, 0}, {48, 7, 49, 0, 0, 0, 0, 0},
                {48, 3, 3, 3, 12, 49, 0, 0}, {48, 30, 31, 49, 0, 0, 0, 0}, {48, 1, 2, 3, 4, 5, 6, 49},
                {48, 44, 49, 0, 0, 0, 0, 0}});
        try (ClipModel m = ClipModel.create(SMALL, 5)) {
            Run fp32 = run(m, Precision.FP32, images, ids);
            // Bounds in units of the half type's unit roundoff u (bf16 2⁻⁸: 8 significant bits; fp16 2⁻¹¹), from a
            // first-order error count: products sum in float32 (autocast, the emulation, oneDNN), so each product on
            // a path adds about u (operand and result rounding, κ = ‖|A||B|‖/‖AB‖ of order 1 for these activations).
            // A feature passes about 16 products (patch embedding, 2 blocks × (q·kᵀ, P·v, out_proj, c_fc, c_proj)
            // and the projection; the text tower likewise): 16u. A gradient passes those and as many backward
            // products, and at initialisation the loss gradient P − I of near-uniform softmax rows cancels, which
            // amplifies the features' rounding: 64u per tensor, 32u for all gradients together.
            // [smallest error proving the cast, features and loss, one gradient, all gradients]
            Map<Precision, double[]> bounds = new LinkedHashMap<>();
            for (Precision p : List.of(Precision.BF16, Precision.FP16)) {
                double u = p == Precision.BF16 ? 0x1p-8 : 0x1p-11;
                bounds.put(p, new double[] {u / 100, 16 * u, 64 * u, 32 * u});
            }
            Map<Precision, Double> global = new LinkedHashMap<>();
            for (Precision p : List.of(Precision.BF16, Precision.FP16)) {
                Run half = run(m, p, images, ids);
                double[] b = bounds.get(p);
                for (String what : List.of("image", "text")) {
                    double e = what.equals("image") ? relErr(half.imageFeatures, fp32.imageFeatures)
                            : relErr(half.textFeatures, fp32.textFeatures);
                    assertTrue(e > b[0] && e < b[1], p + " " + what + " features: relative error " + e);
                }
                double le = Math.abs(half.loss - fp32.loss) / fp32.loss;
                assertTrue(le > 0 && le < b[1], p + " loss " + half.loss + " vs " + fp32.loss);
                double diff2 = 0, norm2 = 0;
                for (Map.Entry<String, INDArray> g : fp32.grads.entrySet()) {
                    double e = relErr(half.grads.get(g.getKey()), g.getValue());
                    assertTrue(e < b[2], p + ": gradient of " + g.getKey() + " relative error " + e);
                    double n = g.getValue().norm2Number().doubleValue();
                    diff2 += e * e * n * n;
                    norm2 += n * n;
                }
                global.put(p, Math.sqrt(diff2 / norm2));
                assertTrue(global.get(p) > b[0] && global.get(p) < b[3], p + ": all gradients, relative error " + global.get(p));
                half.close();
            }
            // Errors follow the significand: bf16 has 3 bits fewer than fp16, about 8× the error (u ratio 2³).
            double ratio = global.get(Precision.BF16) / global.get(Precision.FP16);
            assertTrue(ratio > 2 && ratio < 32, "bf16/fp16 gradient error ratio " + ratio);
            m.setPrecision(Precision.FP32);
            Run again = run(m, Precision.FP32, images, ids);
            assertEquals(fp32.loss, again.loss, 0.0, "FP32 after a half run is the float32 path, bit for bit");
            assertEquals(fp32.grads.get("visual.conv1.weight"), again.grads.get("visual.conv1.weight"));
            again.close();
            fp32.close();
        }
    }

    @Test
    void scaledLossGradientScalesEveryGradientExactly() {
        Nd4j.getRandom().setSeed(4);
        INDArray images = Nd4j.randn(DataType.FLOAT, 4, 3, 16, 16);
        INDArray ids = Nd4j.createFromArray(new long[][] {{48, 5, 9, 49, 0, 0, 0, 0}, {48, 7, 49, 0, 0, 0, 0, 0},
                {48, 3, 3, 3, 12, 49, 0, 0}, {48, 30, 31, 49, 0, 0, 0, 0}});
        try (ClipModel m = ClipModel.create(SMALL, 6)) {
            m.zeroGrad();
            double loss = m.forwardBackward(images, ids, true, true, 1.0);
            Map<String, INDArray> want = new LinkedHashMap<>();
            for (Parameter q : m.parameters()) want.put(q.name(), q.grad().dup());
            m.zeroGrad();
            double scaled = m.forwardBackward(images, ids, true, true, 1024.0);
            assertEquals(loss, scaled, 0.0, "the returned loss is not scaled");
            for (Parameter q : m.parameters()) { // a power of two scales float32 arithmetic exactly
                INDArray unscaled = q.grad().div(1024.0);
                assertEquals(want.get(q.name()), unscaled, q.name());
                unscaled.close();
            }
        }
    }
}
