package org.clip4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code FILE.safetensors[#NAME]} parsing. */
class TensorRefTest {
    @TempDir
    Path tmp;

    @Test
    void nameAfterTheLastHashUnlessThePathExists() throws IOException {
        assertEquals(new TensorRef(Path.of("a/x.safetensors"), "input_ids"), TensorRef.parse("a/x.safetensors", "input_ids"));
        assertEquals(new TensorRef(Path.of("a/x.safetensors"), "text"), TensorRef.parse("a/x.safetensors#text", "input_ids"));
        assertEquals(new TensorRef(Path.of("a#b/x.safetensors"), "grad.visual.proj"),
                TensorRef.parse("a#b/x.safetensors#grad.visual.proj", "pixel_values"));
        assertEquals(new TensorRef(Path.of("x.safetensors"), "pixel_values"), TensorRef.parse("x.safetensors#", "pixel_values"));
        Path hashed = Files.write(tmp.resolve("run#2.safetensors"), new byte[0]);
        assertEquals(new TensorRef(hashed, "pixel_values"), TensorRef.parse(hashed.toString(), "pixel_values"));
    }
}
