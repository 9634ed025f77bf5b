package org.clip4j.encoders;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.nn.BatchNorm2d;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Tensors;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End-to-end central finite differences in double precision for a micro ModifiedResNet CLIP: loss → logits →
 * attention pool → four stages → stem, with BatchNorm in inference mode and in training mode (batch statistics).
 */
@org.junit.jupiter.api.extension.ExtendWith(org.clip4j.core.nn.OneThread.class)
class RnModelGradientTest {
    /** Width 4: stem 2/2/4 channels, stages 16/32/64/128, a 1×1 grid at 32 px, attention pool with 4 heads. */
    static final ClipConfig MICRO_RN = ClipConfig.fromJson("{\"embed_dim\": 6, \"quick_gelu\": true, \"vision_cfg\":"
            + " {\"image_size\": 32, \"layers\": [1, 2, 1, 1], \"width\": 4, \"patch_size\": null, \"head_width\": 32},"
            + " \"text_cfg\": {\"context_length\": 5, \"vocab_size\": 11, \"width\": 8, \"heads\": 2, \"layers\": 1}}");

    private static final List<String> CHECKED = List.of("logit_scale", "visual.conv1.weight", "visual.bn1.weight",
            "visual.layer1.0.conv2.weight", "visual.layer2.0.downsample.0.weight", "visual.layer2.1.bn3.weight",
            "visual.layer3.0.downsample.1.bias", "visual.layer4.0.conv3.weight", "visual.attnpool.positional_embedding",
            "visual.attnpool.q_proj.weight", "visual.attnpool.k_proj.weight", "visual.attnpool.c_proj.weight");

    @Test
    void inferenceModeGradientsMatchFiniteDifferences() {
        run(false);
    }

    @Test
    void trainingModeGradientsMatchFiniteDifferences() {
        run(true);
    }

    private static void run(boolean training) {
        try (ClipModel m = ClipModel.create(MICRO_RN, 4, DataType.DOUBLE)) {
            perturb(m, 5);
            m.train(training);
            INDArray images = ModelGradientTest.randn(1, 3, 3, 32, 32);
            INDArray ids = Nd4j.createFromArray(new long[][] {{9, 2, 2, 10, 0}, {9, 10, 0, 0, 0}, {9, 3, 5, 5, 10}});
            m.zeroGrad();
            m.forwardBackward(images, ids);
            Map<String, Parameter> byName = new HashMap<>();
            for (Parameter p : m.parameters()) byName.put(p.name(), p);
            for (String name : CHECKED) {
                Parameter p = byName.get(name);
                assertTrue(p.grad().amaxNumber().doubleValue() > 0, name + ": gradient is zero, nothing checked");
                ModelFiniteDifferences.Result r = ModelFiniteDifferences.check(p, () -> ModelFiniteDifferences.loss(m, images, ids), 4, true);
                System.out.printf("  %-8s %-45s %s%n", training ? "train" : "eval", name, r);
                assertTrue(r.passes(), name + ": " + r);
            }
        }
    }

    /**
     * Moves every value away from its initial constant (zero bn3 weights would hide the residual branches) and
     * gives the BatchNorms non-trivial running statistics, as the fixture generator does.
     */
    private static void perturb(ClipModel m, long seed) {
        Random r = new Random(seed);
        for (Parameter p : m.stateDict()) {
            if (!p.isTrainable()) continue;
            INDArray flat = p.value().reshape(p.numel());
            for (long i = 0; i < p.numel(); i++) flat.putScalar(i, flat.getDouble(i) + 0.1 * r.nextGaussian());
        }
        for (BatchNorm2d bn : ((ModifiedResNet) m.visual()).batchNorms()) {
            INDArray mean = bn.runningMean().value(), var = bn.runningVar().value();
            for (long i = 0; i < bn.channels(); i++) {
                mean.putScalar(i, 0.1 * r.nextGaussian());
                var.putScalar(i, 0.5 + r.nextDouble());
            }
        }
    }

}
