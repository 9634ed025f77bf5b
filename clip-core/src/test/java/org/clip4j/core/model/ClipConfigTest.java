package org.clip4j.core.model;

import org.clip4j.core.ClipException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClipConfigTest {

    @Test
    void builtinsParseAndRoundTrip() {
        List<String> names = ClipConfig.names();
        assertEquals(19, names.size());
        assertEquals("clip4j-tiny", names.get(18));
        for (String n : names.subList(0, 18)) {
            ClipConfig c = ClipConfig.builtin(n);
            assertEquals(n.endsWith("-quickgelu"), c.quickGelu(), n);
            assertEquals(c, ClipConfig.fromJson(c.toJson()), n);
            assertEquals(77, c.text().contextLength());
            assertEquals(49408, c.text().vocabSize());
        }
        ClipConfig tiny = ClipConfig.builtin("clip4j-tiny");
        assertEquals(tiny, ClipConfig.fromJson(tiny.toJson()));
        assertEquals(32, tiny.vision().imageSize());
        assertEquals(49408, tiny.text().vocabSize()); // the OpenAI tokenizer's vocabulary
    }

    @Test
    void builtinHyperParameters() {
        ClipConfig rn50x4 = ClipConfig.builtin("RN50x4");
        assertEquals(640, rn50x4.embedDim());
        assertEquals(List.of(4, 6, 10, 6), rn50x4.vision().layers());
        assertEquals(80, rn50x4.vision().width());
        assertEquals(288, rn50x4.vision().imageSize());
        assertEquals(40, rn50x4.vision().heads()); // 80·32/64
        assertEquals(10, rn50x4.text().heads());
        ClipConfig l14 = ClipConfig.builtin("ViT-L-14-336-quickgelu");
        assertEquals(336, l14.vision().imageSize());
        assertEquals(16, l14.vision().heads());
        assertEquals(24, l14.vision().depth());
        assertEquals(14, l14.vision().patchSize());
        assertEquals(768, l14.text().width());
        assertEquals(12, l14.text().heads());
        ClipConfig x64 = ClipConfig.builtin("RN50x64");
        assertEquals(List.of(3, 15, 36, 10), x64.vision().layers());
        assertEquals(16, x64.text().heads());
        assertEquals(448, x64.vision().imageSize());
    }

    @Test
    void openAiMetadata() {
        Map<String, String> meta = Map.of("clip_config", "{\"context_length\": 16, \"embed_dim\": 32, "
                + "\"image_resolution\": 32, \"transformer_heads\": 4, \"transformer_layers\": 2, "
                + "\"transformer_width\": 48, \"vision_layers\": 2, \"vision_patch_size\": 8, \"vision_width\": 64, "
                + "\"vocab_size\": 1000}", "vision_heads", "1");
        ClipConfig c = ClipConfig.fromOpenAiMetadata(meta);
        assertTrue(c.quickGelu());
        assertEquals(1, c.vision().heads());
        assertEquals(4, c.text().heads());
        assertEquals(2, c.vision().depth());
        assertEquals(c, ClipConfig.fromOpenAiMetadata(Map.of("clip_config", c.toOpenAiJson(), "vision_heads", "1")));
        ClipConfig rn = ClipConfig.fromOpenAiMetadata(Map.of("clip_config", "{\"context_length\": 16, "
                + "\"embed_dim\": 32, \"image_resolution\": 64, \"transformer_heads\": 4, \"transformer_layers\": 2,"
                + " \"transformer_width\": 48, \"vision_layers\": [1, 1, 1, 1], \"vision_patch_size\": null, "
                + "\"vision_width\": 16, \"vocab_size\": 1000}", "vision_heads", "8"));
        assertTrue(rn.vision().isResNet());
        assertEquals(8, rn.vision().heads());
    }

    @Test
    void errorsNameTheField() {
        ClipException e = assertThrows(ClipException.class, () -> ClipConfig.fromJson("{\"embed_dim\": 5, "
                + "\"vision_cfg\": {\"image_size\": 224, \"width\": 64}, \"text_cfg\": {}}"));
        assertTrue(e.getMessage().contains("vision_cfg.layers"), e.getMessage());
        e = assertThrows(ClipException.class, () -> ClipConfig.builtin("ViT-X"));
        assertTrue(e.getMessage().contains("ViT-X"));
        e = assertThrows(ClipException.class, () -> ClipConfig.fromJson("{\"embed_dim\": 5, \"vision_cfg\": "
                + "{\"image_size\": 224, \"width\": 64, \"layers\": [3, 4]}, \"text_cfg\": {}}"));
        assertTrue(e.getMessage().contains("4 layer counts"), e.getMessage());
        assertFalse(ClipConfig.builtin("ViT-B-32").quickGelu());
    }
}
