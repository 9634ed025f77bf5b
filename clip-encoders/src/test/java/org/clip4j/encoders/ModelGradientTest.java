package org.clip4j.encoders;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.model.ContrastiveLoss;
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
 * End-to-end central finite differences in double precision: loss → logits → both towers, for a micro ViT
 * CLIP with erf GELU (the fixtures cover QuickGELU).
 */
class ModelGradientTest {
    static final ClipConfig MICRO = ClipConfig.fromJson("{\"embed_dim\": 6, \"quick_gelu\": false, \"vision_cfg\": "
            + "{\"image_size\": 8, \"layers\": 1, \"width\": 8, \"patch_size\": 4, \"head_width\": 4}, \"text_cfg\":"
            + " {\"context_length\": 5, \"vocab_size\": 11, \"width\": 8, \"heads\": 2, \"layers\": 1}}");

    @Test
    void wholeModelGradientsMatchFiniteDifferences() {
        try (ClipModel m = ClipModel.create(MICRO, 3, DataType.DOUBLE)) {
            INDArray images = randn(1, 3, 3, 8, 8);
            INDArray ids = Nd4j.createFromArray(new long[][] {{9, 2, 2, 10, 0}, {9, 10, 0, 0, 0}, {9, 3, 5, 5, 10}});
            m.zeroGrad();
            m.forwardBackward(images, ids);
            Map<String, Parameter> byName = new HashMap<>();
            for (Parameter p : m.parameters()) byName.put(p.name(), p);
            for (String name : List.of("logit_scale", "visual.conv1.weight", "visual.class_embedding",
                    "visual.positional_embedding", "visual.proj", "visual.ln_pre.weight",
                    "visual.transformer.resblocks.0.mlp.c_fc.weight", "visual.ln_post.bias",
                    "token_embedding.weight", "positional_embedding", "transformer.resblocks.0.attn.in_proj_weight",
                    "transformer.resblocks.0.attn.out_proj.bias", "transformer.resblocks.0.ln_1.weight",
                    "ln_final.bias", "text_projection")) {
                Parameter p = byName.get(name);
                ModelFiniteDifferences.Result r = ModelFiniteDifferences.check(p, () -> ModelFiniteDifferences.loss(m, images, ids), 8, false);
                System.out.printf("  %-50s %s%n", name, r);
                assertTrue(r.passes(), name + ": " + r);
            }
        }
    }

    static INDArray randn(long seed, long... shape) {
        Random r = new Random(seed);
        long n = 1;
        for (long d : shape) n *= d;
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
        return Nd4j.create(v, shape, DataType.DOUBLE);
    }
}
