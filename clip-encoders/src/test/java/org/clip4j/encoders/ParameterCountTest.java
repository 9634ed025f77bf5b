package org.clip4j.encoders;

import org.clip4j.core.model.ClipConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Trainable parameter counts of all built-in configs against the reference models (counted from shapes; no
 * weights are allocated). ResNet counts include BatchNorm weight/bias but not running statistics.
 */
class ParameterCountTest {
    private static final Map<String, Long> REFERENCE = Map.of(
            "RN50", 102_007_137L,
            "RN101", 119_688_033L,
            "RN50x4", 178_300_601L,
            "RN50x16", 290_979_217L,
            "RN50x64", 623_258_305L,
            "ViT-B-32", 151_277_313L,
            "ViT-B-16", 149_620_737L,
            "ViT-L-14", 427_616_513L,
            "ViT-L-14-336", 427_944_193L,
            // openai/CLIP's CLIP class built with this config (vision heads 2), as train_peer.py prints it
            "clip4j-tiny", 3_335_105L);

    @Test
    void everyBuiltin() {
        for (String name : ClipConfig.names()) {
            String base = name.replace("-quickgelu", "");
            long count = ClipModel.parameterCount(ClipConfig.builtin(name));
            System.out.printf("  %-24s %,d%n", name, count);
            assertEquals(REFERENCE.get(base), count, name);
        }
    }

    @Test
    void vitB32ByHand() {
        // Text: token 49408·512 + positional 77·512 + 12 blocks + ln_final + projection 512·512.
        long w = 512, block = 3 * w * w + 3 * w + w * w + w + 2 * w + 4 * w * w + 4 * w + 4 * w * w + w + 2 * w;
        long text = 49408 * w + 77 * w + 12 * block + 2 * w + w * 512;
        long v = 768, vblock = 3 * v * v + 3 * v + v * v + v + 2 * v + 4 * v * v + 4 * v + 4 * v * v + v + 2 * v;
        long vision = v * 3 * 32 * 32 + v + 50 * v + 2 * v + 12 * vblock + 2 * v + v * 512;
        assertEquals(151_277_313L, text + vision + 1);
        assertEquals(text + vision + 1, ClipModel.parameterCount(ClipConfig.builtin("ViT-B-32")));
    }
}
