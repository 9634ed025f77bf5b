package org.clip4j.encoders;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Parameter;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ClipModel#create}: the reference initialisation scheme, determinism, decay hints. */
class CreateTest {
    static final ClipConfig SMALL = ClipConfig.fromJson("{\"embed_dim\": 32, \"quick_gelu\": true, \"vision_cfg\": "
            + "{\"image_size\": 32, \"layers\": 2, \"width\": 64, \"patch_size\": 8}, \"text_cfg\":"
            + " {\"context_length\": 16, \"vocab_size\": 1000, \"width\": 48, \"heads\": 4, \"layers\": 2}}");

    @Test
    void referenceInitialisation() {
        try (ClipModel m = ClipModel.create(SMALL, 7)) {
            Map<String, INDArray> v = new HashMap<>();
            for (Parameter p : m.stateDict()) v.put(p.name(), p.value());
            assertEquals(Math.log(1 / 0.07), v.get("logit_scale").getDouble(0), 1e-6);
            assertStd(v.get("token_embedding.weight"), 0.02);
            assertStd(v.get("positional_embedding"), 0.01);
            assertStd(v.get("transformer.resblocks.0.attn.in_proj_weight"), Math.pow(48, -0.5));
            assertStd(v.get("transformer.resblocks.1.attn.out_proj.weight"), Math.pow(48, -0.5) / 2); // (2·2)^-0.5
            assertStd(v.get("transformer.resblocks.0.mlp.c_fc.weight"), Math.pow(96, -0.5));
            assertStd(v.get("transformer.resblocks.0.mlp.c_proj.weight"), Math.pow(48, -0.5) / 2);
            assertStd(v.get("text_projection"), Math.pow(48, -0.5));
            assertStd(v.get("visual.positional_embedding"), 0.125);                 // 64^-0.5
            assertStd(v.get("visual.proj"), 0.125);
            assertStd(v.get("visual.transformer.resblocks.0.attn.in_proj_weight"), Math.sqrt(6.0 / 256) / Math.sqrt(3));
            assertStd(v.get("visual.conv1.weight"), 1 / Math.sqrt(192) / Math.sqrt(3)); // U(±1/√fan_in)
            assertEquals(1.0, v.get("ln_final.weight").minNumber().doubleValue());
            assertEquals(0.0, v.get("visual.ln_post.bias").amaxNumber().doubleValue());
            assertEquals(0.0, v.get("transformer.resblocks.0.attn.in_proj_bias").amaxNumber().doubleValue());
            assertEquals(222_657, m.parameterCount());
        }
    }

    @Test
    void sameSeedSameWeights() {
        try (ClipModel a = ClipModel.create(SMALL, 5); ClipModel b = ClipModel.create(SMALL, 5);
             ClipModel c = ClipModel.create(SMALL, 6)) {
            for (int i = 0; i < a.stateDict().size(); i++) {
                assertArrayEquals(a.stateDict().get(i).value().dup().data().asFloat(),
                        b.stateDict().get(i).value().dup().data().asFloat());
            }
            assertFalse(a.text().textProjection().value().equals(c.text().textProjection().value()));
        }
    }

    @Test
    void decayHints() {
        try (ClipModel m = ClipModel.create(SMALL, 1)) {
            Map<String, Boolean> d = new HashMap<>();
            for (Parameter p : m.parameters()) d.put(p.name(), p.decay());
            assertTrue(d.get("visual.conv1.weight"));
            assertTrue(d.get("transformer.resblocks.0.mlp.c_fc.weight"));
            assertFalse(d.get("transformer.resblocks.0.mlp.c_fc.bias"));
            assertFalse(d.get("ln_final.weight"));
            assertFalse(d.get("logit_scale"));
            assertFalse(d.get("visual.class_embedding"));
        }
    }

    private static void assertStd(INDArray a, double want) {
        double std = a.stdNumber().doubleValue();
        assertTrue(Math.abs(std - want) < 0.06 * want, "std " + std + " vs " + want);
    }
}
