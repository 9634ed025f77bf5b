package org.clip4j.encoders;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Parameter;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ClipModel#create} for a ModifiedResNet: PyTorch layer defaults plus OpenAI's initialize_parameters. */
class RnCreateTest {
    /** The rn_tiny architecture (attention pool over 512 channels, 8 heads of 64). */
    static final ClipConfig RN_TINY = ClipConfig.fromJson("{\"embed_dim\": 32, \"quick_gelu\": true, \"vision_cfg\":"
            + " {\"image_size\": 64, \"layers\": [1, 1, 1, 1], \"width\": 16, \"patch_size\": null}, \"text_cfg\":"
            + " {\"context_length\": 16, \"vocab_size\": 1000, \"width\": 48, \"heads\": 4, \"layers\": 2}}");

    @Test
    void referenceInitialisation() {
        try (ClipModel m = ClipModel.create(RN_TINY, 11)) {
            assertEquals(1_419_897, m.parameterCount());
            assertEquals(8, ((ModifiedResNet) m.visual()).attnpool().heads());
            Map<String, INDArray> v = new HashMap<>();
            for (Parameter p : m.stateDict()) v.put(p.name(), p.value());
            // Every residual block's last BatchNorm starts at zero, so each block starts as (downsampled) identity.
            int zeroed = 0;
            for (Parameter p : m.stateDict()) {
                if (p.name().startsWith("visual.layer") && p.name().endsWith(".bn3.weight")) {
                    assertEquals(0.0, p.value().amaxNumber().doubleValue(), p.name());
                    zeroed++;
                }
            }
            assertEquals(4, zeroed);
            // ... but not the stem's bn3 nor the downsample BatchNorms: PyTorch's weight 1, bias 0.
            assertConstant(v.get("visual.bn3.weight"), 1);
            assertConstant(v.get("visual.layer2.0.downsample.1.weight"), 1);
            assertConstant(v.get("visual.layer1.0.bn1.bias"), 0);
            assertConstant(v.get("visual.layer3.0.bn2.running_mean"), 0);
            assertConstant(v.get("visual.layer3.0.bn2.running_var"), 1);
            INDArray counter = v.get("visual.layer4.0.bn3.num_batches_tracked");
            assertEquals(DataType.INT64, counter.dataType());
            assertArrayEquals(new long[0], counter.shape());
            assertEquals(0L, counter.getLong(0));
            // Attention pool: q/k/v/c_proj weights N(0, c_proj.in_features^-0.5), positional N(0, C^-0.5),
            // biases PyTorch's U(±1/√in).
            double std = Math.pow(512, -0.5);
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "c_proj"}) {
                assertStd(v.get("visual.attnpool." + proj + ".weight"), std);
                assertUniform(v.get("visual.attnpool." + proj + ".bias"), 1 / Math.sqrt(512));
            }
            assertStd(v.get("visual.attnpool.positional_embedding"), std);
            // Convolutions: kaiming_uniform(a=√5) = U(±1/√fan_in), fan_in = in·k·k.
            assertUniform(v.get("visual.conv1.weight"), 1 / Math.sqrt(27));
            assertUniform(v.get("visual.layer1.0.conv2.weight"), 1 / Math.sqrt(16 * 9));
            assertUniform(v.get("visual.layer4.0.downsample.0.weight"), 1 / Math.sqrt(256));
            assertStd(v.get("visual.layer3.0.conv2.weight"), 1 / Math.sqrt(64 * 9) / Math.sqrt(3));
        }
    }

    @Test
    void createdModelRunsInBothModes() {
        try (ClipModel m = ClipModel.create(RN_TINY, 12)) {
            INDArray images = ModelGradientTest.randn(1, 2, 3, 64, 64).castTo(DataType.FLOAT);
            INDArray f = m.encodeImage(images);
            assertArrayEquals(new long[] {2, 32}, f.shape());
            m.train(true);
            INDArray ids = org.nd4j.linalg.factory.Nd4j.createFromArray(new long[][] {{998, 5, 999}, {998, 999, 0}});
            double loss = m.forwardBackward(images, padded(ids));
            assertTrue(Double.isFinite(loss));
            assertEquals(1L, m.stateDict().stream().filter(p -> p.name().equals("visual.bn1.num_batches_tracked"))
                    .findFirst().orElseThrow().value().getLong(0));
            m.train(false);
        }
    }

    private static INDArray padded(INDArray ids) {
        INDArray out = org.nd4j.linalg.factory.Nd4j.zeros(DataType.INT64, ids.size(0), 16);
        out.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 3))
                .assign(ids);
        return out;
    }

    private static void assertConstant(INDArray a, double c) {
        assertEquals(c, a.minNumber().doubleValue(), 0);
        assertEquals(c, a.maxNumber().doubleValue(), 0);
    }

    private static void assertStd(INDArray a, double want) {
        double std = a.stdNumber().doubleValue();
        assertTrue(Math.abs(std - want) < 0.06 * want, "std " + std + " vs " + want);
        assertTrue(Math.abs(a.meanNumber().doubleValue()) < 0.1 * want, "mean " + a.meanNumber());
    }

    /** Inside ±bound and spread over most of it. */
    private static void assertUniform(INDArray a, double bound) {
        double max = a.amaxNumber().doubleValue();
        assertTrue(max <= bound, "max |x| " + max + " > " + bound);
        assertTrue(max > 0.8 * bound, "max |x| " + max + " far below " + bound);
    }
}
