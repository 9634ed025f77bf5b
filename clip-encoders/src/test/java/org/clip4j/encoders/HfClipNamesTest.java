package org.clip4j.encoders;

import org.clip4j.core.ClipException;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** The OpenAI ⇄ Hugging Face mapping: a bijection on every vit_tiny entry, with exact values both ways. */
class HfClipNamesTest {
    private static Map<String, INDArray> vitTiny() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.dir().resolve("vit_tiny.safetensors"))) {
            for (String n : f.names()) m.put(n, f.floatArray(n));
        }
        return m;
    }

    @Test
    void bijectionOnAllVitTinyNames() {
        Map<String, INDArray> openai = vitTiny();
        assertEquals(62, openai.size());
        Set<String> hfNames = new HashSet<>();
        int packed = 0;
        for (Map.Entry<String, INDArray> e : openai.entrySet()) {
            List<HfClipNames.Part> parts = HfClipNames.toHf(e.getKey(), e.getValue().shape());
            if (parts.size() == 3) packed++;
            for (HfClipNames.Part p : parts) {
                assertTrue(hfNames.add(p.name()), "two entries map to " + p.name());
                assertEquals(e.getKey(), HfClipNames.toOpenAi(p.name()), "inverse of " + p.name());
            }
        }
        // 4 blocks (2 text + 2 vision) × packed weight and bias: 8 entries become 24 tensors.
        assertEquals(8, packed);
        assertEquals(62 + 2 * 8, hfNames.size());
        for (String n : List.of("text_model.embeddings.token_embedding.weight",
                "text_model.embeddings.position_embedding.weight",
                "text_model.encoder.layers.1.self_attn.k_proj.bias", "text_model.encoder.layers.0.layer_norm2.weight",
                "text_model.encoder.layers.0.mlp.fc1.weight", "text_model.final_layer_norm.bias",
                "text_projection.weight", "vision_model.embeddings.class_embedding",
                "vision_model.embeddings.patch_embedding.weight", "vision_model.pre_layrnorm.weight",
                "vision_model.encoder.layers.1.self_attn.out_proj.weight", "vision_model.post_layernorm.bias",
                "visual_projection.weight", "logit_scale")) {
            assertTrue(hfNames.contains(n), n + " not produced; have " + hfNames);
        }
        assertNull(HfClipNames.toOpenAi("text_model.embeddings.position_ids"));
        assertTrue(HfClipNames.isIgnorable("vision_model.embeddings.position_ids"));
        assertNull(HfClipNames.toOpenAi("vision_model.encoder.layers.0.self_attn.qkv.weight"));
    }

    @Test
    void valuesRoundTripExactlyWithTheDocumentedLayout() {
        Map<String, INDArray> openai = vitTiny();
        Map<String, INDArray> hf = HfClipNames.toHf(openai);
        // Packed rows q, k, v; projections transposed.
        INDArray in = openai.get("visual.transformer.resblocks.1.attn.in_proj_weight"); // [192, 64]
        assertEquals(in.getFloat(64 + 5, 7), hf.get("vision_model.encoder.layers.1.self_attn.k_proj.weight").getFloat(5, 7));
        assertEquals(in.getFloat(128 + 63, 0), hf.get("vision_model.encoder.layers.1.self_attn.v_proj.weight").getFloat(63, 0));
        INDArray bias = openai.get("transformer.resblocks.0.attn.in_proj_bias");       // [144]
        assertEquals(bias.getFloat(47), hf.get("text_model.encoder.layers.0.self_attn.q_proj.bias").getFloat(47));
        assertEquals(bias.getFloat(96), hf.get("text_model.encoder.layers.0.self_attn.v_proj.bias").getFloat(0));
        assertArrayEquals(new long[] {32, 48}, hf.get("text_projection.weight").shape());
        assertEquals(openai.get("text_projection").getFloat(3, 17), hf.get("text_projection.weight").getFloat(17, 3));
        assertEquals(openai.get("visual.proj").getFloat(60, 2), hf.get("visual_projection.weight").getFloat(2, 60));

        Map<String, INDArray> hfWithBuffers = new HashMap<>(hf);
        hfWithBuffers.put("text_model.embeddings.position_ids", org.nd4j.linalg.factory.Nd4j.arange(16).reshape(1, 16));
        Map<String, INDArray> back = HfClipNames.toOpenAi(hfWithBuffers);
        assertEquals(openai.keySet(), back.keySet());
        for (String n : openai.keySet()) {
            assertArrayEquals(openai.get(n).shape(), back.get(n).shape(), n);
            assertArrayEquals(openai.get(n).dup().data().asFloat(), back.get(n).dup().data().asFloat(), n);
        }
    }

    @Test
    void resNetEntriesAndUnknownHfNamesAreErrors() {
        ClipException e = assertThrows(ClipException.class,
                () -> HfClipNames.toHf("visual.attnpool.q_proj.weight", new long[] {4, 4}));
        assertTrue(e.getMessage().contains("visual.attnpool.q_proj.weight"), e.getMessage());
        Map<String, INDArray> hf = new HashMap<>();
        hf.put("vision_model.head.weight", org.nd4j.linalg.factory.Nd4j.zeros(2));
        e = assertThrows(ClipException.class, () -> HfClipNames.toOpenAi(hf));
        assertTrue(e.getMessage().contains("vision_model.head.weight"), e.getMessage());
    }
}
