package org.clip4j.cli;

import org.clip4j.core.safetensors.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * PyTorch checkpoints given straight to the commands: {@code clip embed --model X.pt} gives the reference
 * features, and {@code clip convert --to safetensors} of a torch.save state dict reproduces the reference
 * safetensors weights bit for bit (testdata/torch-checkpoints, see its generator script).
 */
class TorchCheckpointCliTest {
    @TempDir
    Path tmp;

    private static final Path TORCH = EmbedCommandTest.REF.resolveSibling("torch-checkpoints");

    @Test
    void embedFromAnOpenAiStyleArchiveAndConvertAStateDict() {
        Path out = tmp.resolve("e.safetensors");
        String expected = EmbedCommandTest.EXPECTED;
        // float32 weights in a torch.save zip with views into one shared storage
        CliRun r = CliRun.of("embed", "--model", TORCH.resolve("vit/zip_fp32.pt").toString(), "--pixel-values",
                expected + "#image", "--tokens", expected + "#text", "--out", out.toString());
        assertEquals(0, r.exit, r.err());
        try (SafetensorsFile o = SafetensorsFile.open(out); SafetensorsFile e = SafetensorsFile.open(Path.of(expected))) {
            for (String n : new String[] {"image_features", "text_features", "logits_per_image"}) {
                assertTrue(EmbedCommandTest.normwise(o.floatArray(n), e.floatArray(n)) <= 1e-4, n);
            }
        }
        Path back = tmp.resolve("back.safetensors");
        r = CliRun.of("convert", "--model", TORCH.resolve("vit/open_clip_epoch_3.pt").toString(), "--to", "safetensors",
                "--out", back.toString());
        assertEquals(0, r.exit, r.err());
        try (SafetensorsFile a = SafetensorsFile.open(EmbedCommandTest.VIT); SafetensorsFile b = SafetensorsFile.open(back)) {
            assertEquals(a.names().stream().sorted().toList(), b.names().stream().sorted().toList());
            for (String n : a.names()) assertEquals(a.buffer(n), b.buffer(n), n); // bit for bit
        }
        // the TorchScript archive (fp16 weights) runs as is
        r = CliRun.of("embed", "--model", TORCH.resolve("vit/openai_jit.pt").toString(), "--pixel-values",
                expected + "#image", "--tokens", expected + "#text", "--out", out.toString());
        assertEquals(0, r.exit, r.err());
    }

    @Test
    void aHostilePickleIsRefusedByName() throws Exception {
        Path evil = tmp.resolve("evil.pt");
        // protocol 2: GLOBAL 'os system', ('touch pwned',), REDUCE, STOP
        byte[] pickle = "\u0080\u0002cos\nsystem\nX\u000b\u0000\u0000\u0000touch pwned\u0085R.".getBytes(
                java.nio.charset.StandardCharsets.ISO_8859_1);
        Files.write(evil, pickle);
        CliRun r = CliRun.of("convert", "--model", evil.toString(), "--to", "safetensors", "--out",
                tmp.resolve("x.safetensors").toString());
        assertEquals(1, r.exit);
        assertTrue(r.err().startsWith("clip: error: ") && r.err().contains("'os.system'") && r.err().contains("evil.pt"),
                r.err());
        assertFalse(Files.exists(Path.of("pwned")));
    }

    @Test
    void configOptionGivesTheArchitectureOfWeightsWithoutOne() throws Exception {
        // OpenAI-style archive alone: its text width 48 is no multiple of 64, so the reference rule cannot infer
        // the heads; --config names the architecture instead
        Path lone = Files.copy(TORCH.resolve("vit/openai_jit.pt"), tmp.resolve("tiny.pt"));
        Path out = tmp.resolve("e.safetensors");
        String expected = EmbedCommandTest.EXPECTED;
        String[] args = {"embed", "--model", lone.toString(), "--pixel-values", expected + "#image", "--tokens",
                expected + "#text", "--out", out.toString()};
        CliRun r = CliRun.of(args);
        assertEquals(1, r.exit);
        assertTrue(r.err().contains("tiny.pt") && r.err().contains("heads"), r.err());
        String[] withConfig = java.util.Arrays.copyOf(args, args.length + 2);
        withConfig[args.length] = "--config";
        withConfig[args.length + 1] = TORCH.resolve("vit/open_clip_config.json").toString();
        r = CliRun.of(withConfig);
        assertEquals(0, r.exit, r.err());
        try (SafetensorsFile o = SafetensorsFile.open(out);
             SafetensorsFile e = SafetensorsFile.open(TORCH.resolve("expected_fp16.safetensors"))) {
            assertTrue(EmbedCommandTest.normwise(o.floatArray("image_features"), e.floatArray("vit.image_features")) <= 1e-4);
            assertTrue(EmbedCommandTest.normwise(o.floatArray("text_features"), e.floatArray("vit.text_features")) <= 1e-4);
        }
        // a wrong architecture is reported against the weights, tensor by tensor
        withConfig[args.length + 1] = "ViT-B-32";
        r = CliRun.of(withConfig);
        assertEquals(1, r.exit);
        assertTrue(r.err().contains("do not match the model config") && r.err().contains("wrong shape"), r.err());
    }

    @Test
    void convertKeepsHalfPrecisionWhenAsked() {
        Path jit = TORCH.resolve("vit/openai_jit.pt"), half = tmp.resolve("half.safetensors");
        CliRun r = CliRun.of("convert", "--model", jit.toString(), "--to", "safetensors", "--dtype", "f16", "--out",
                half.toString());
        assertEquals(0, r.exit, r.err());
        try (SafetensorsFile f = SafetensorsFile.open(half)) {
            for (String n : f.names()) assertEquals(org.clip4j.core.safetensors.DType.F16, f.info(n).dtype(), n);
        }
        int unchanged = 0;
        try (org.clip4j.encoders.ClipModel a = org.clip4j.encoders.ClipModel.load(jit);
             org.clip4j.encoders.ClipModel b = org.clip4j.encoders.ClipModel.load(half)) {
            assertEquals(a.config(), b.config());
            for (int i = 0; i < a.stateDict().size(); i++) {
                float[] x = a.stateDict().get(i).value().dup('c').data().asFloat();
                float[] y = b.stateDict().get(i).value().dup('c').data().asFloat();
                boolean same = true;
                for (int k = 0; k < x.length; k++) {
                    float rounded = org.clip4j.core.safetensors.HalfFloats.halfToFloat(
                            org.clip4j.core.safetensors.HalfFloats.floatToHalf(x[k]));
                    assertEquals(Float.floatToRawIntBits(rounded), Float.floatToRawIntBits(y[k]), a.stateDict().get(i).name());
                    same &= x[k] == y[k];
                }
                if (same) unchanged++;
            }
        }
        assertTrue(unchanged >= 35, "the 35 fp16 weights of the archive are kept exactly: " + unchanged);
        r = CliRun.of("convert", "--model", jit.toString(), "--to", "safetensors", "--dtype", "f8", "--out",
                half.toString());
        assertEquals(2, r.exit);
    }
}
