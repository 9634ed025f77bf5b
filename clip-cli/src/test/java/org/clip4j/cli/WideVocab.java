package org.clip4j.cli;

import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.core.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.nio.file.Path;

/**
 * vit_tiny with the full 49408-id vocabulary: row t of the new token embedding is row {@code t % 998} of the
 * fixture's, 49406 (start) is row 998 and 49407 (end) row 999 — the fixture README's folding of real BPE ids. So
 * real tokenizer output through this model gives exactly the fixture's outputs for the folded ids.
 */
final class WideVocab {
    private WideVocab() {
    }

    static Path write(Path vitTiny, Path target) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(vitTiny)) {
            SafetensorsWriter w = new SafetensorsWriter();
            for (var e : f.metadata().entrySet()) {
                String v = e.getValue();
                if (e.getKey().equals("vocab_size")) v = "49408";
                if (e.getKey().equals("clip_config")) v = v.replace("\"vocab_size\": 1000", "\"vocab_size\": 49408");
                w.metadata(e.getKey(), v);
            }
            for (String n : f.names()) {
                if (!n.equals("token_embedding.weight")) {
                    w.putFloats(n, f.info(n).shape(), f.floats(n));
                    continue;
                }
                float[] small = f.floats(n);
                int width = (int) f.info(n).shape()[1];
                float[] wide = new float[49408 * width];
                for (int t = 0; t < 49408; t++) {
                    int src = t == 49406 ? 998 : t == 49407 ? 999 : t % 998;
                    System.arraycopy(small, src * width, wide, t * width, width);
                }
                w.putFloats(n, new long[] {49408, width}, wide);
            }
            w.write(target);
        }
        return target;
    }
}
