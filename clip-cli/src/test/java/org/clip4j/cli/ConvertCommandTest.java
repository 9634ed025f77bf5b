package org.clip4j.cli;

import org.clip4j.core.safetensors.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** {@code clip convert}: to a Hugging Face folder and back, then {@code clip embed} on the folder. */
class ConvertCommandTest {
    @TempDir
    Path tmp;

    @Test
    void huggingFaceFolderRoundTripAndEmbed() {
        Path hf = tmp.resolve("hf"), back = tmp.resolve("back.safetensors");
        CliRun r = CliRun.of("convert", "--model", EmbedCommandTest.VIT.toString(), "--to", "hf", "--out", hf.toString());
        assertEquals(0, r.exit, r.err());
        assertTrue(Files.isRegularFile(hf.resolve("config.json")) && Files.isRegularFile(hf.resolve("model.safetensors")));
        assertEquals(0, CliRun.of("convert", "--model", hf.toString(), "--to", "safetensors", "--out", back.toString()).exit);
        try (SafetensorsFile a = SafetensorsFile.open(EmbedCommandTest.VIT); SafetensorsFile b = SafetensorsFile.open(back)) {
            assertEquals(a.names(), b.names());
            for (String n : a.names()) assertEquals(a.buffer(n), b.buffer(n), n); // bit for bit
        }
        // The folder is a model for every command.
        Path out = tmp.resolve("e.safetensors");
        String expected = EmbedCommandTest.EXPECTED;
        r = CliRun.of("embed", "--model", hf.toString(), "--pixel-values", expected + "#image", "--tokens",
                expected + "#text", "--out", out.toString());
        assertEquals(0, r.exit, r.err());
        try (SafetensorsFile o = SafetensorsFile.open(out); SafetensorsFile e = SafetensorsFile.open(Path.of(expected))) {
            for (String n : new String[] {"image_features", "text_features", "logits_per_image"}) {
                assertTrue(EmbedCommandTest.normwise(o.floatArray(n), e.floatArray(n)) <= 1e-4, n);
            }
        }
        assertEquals(2, CliRun.of("convert", "--model", hf.toString(), "--to", "onnx", "--out", "x").exit);
        r = CliRun.of("convert", "--model", EmbedCommandTest.REF.resolve("rn_tiny.safetensors").toString(), "--to", "hf",
                "--out", tmp.resolve("rn").toString());
        assertEquals(1, r.exit);
        assertTrue(r.err().startsWith("clip: error: ") && r.err().contains("ModifiedResNet"), r.err());
    }
}
