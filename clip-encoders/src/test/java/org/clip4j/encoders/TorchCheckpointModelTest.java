package org.clip4j.encoders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.clip4j.core.ClipException;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.safetensors.HalfFloats;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link ClipModel#load} on the PyTorch checkpoints of testdata/torch-checkpoints (OpenAI-style TorchScript
 * archives, torch.save state dicts in zip and legacy format, an open_clip training checkpoint, a Hugging Face
 * pytorch_model.bin): every parameter equals the reference weights of testdata/clip-reference bit for bit
 * (float16 entries: the reference weights rounded to half, as the reference convert_weights() stored them, then
 * widened as model.float() does), and the features match the reference: the float32 files the fixture's
 * features, the float16 ones the features PyTorch computed from the same rounded weights in float32
 * (expected_fp16.safetensors). Tolerance 1e-4 normwise, the fixtures' float32 bound.
 */
class TorchCheckpointModelTest {
    @TempDir
    Path tmp;

    private static Path torchDir() {
        return Fixtures.dir().resolveSibling("torch-checkpoints");
    }

    /** The dtype torch reported for each state-dict entry of {@code file}. */
    private static Map<String, String> dtypes(String file) throws IOException {
        JsonNode n = new ObjectMapper().readTree(torchDir().resolve("expected.json").toFile()).get("files").get(file);
        Map<String, String> out = new HashMap<>();
        for (JsonNode e : n) out.put(e.get("name").asText(), e.get("dtype").asText());
        return out;
    }

    private static float half(float f) {
        return HalfFloats.halfToFloat(HalfFloats.floatToHalf(f));
    }

    static void assertReferenceWeights(String label, ClipModel m, ClipModel ref, Map<String, String> dtypes) {
        List<Parameter> x = m.stateDict(), y = ref.stateDict();
        assertEquals(y.size(), x.size());
        for (int i = 0; i < x.size(); i++) {
            String name = y.get(i).name();
            assertEquals(name, x.get(i).name());
            if (ModifiedResNet.isCounter(y.get(i))) {
                assertEquals(y.get(i).value().getLong(0), x.get(i).value().getLong(0), name);
                continue;
            }
            float[] got = x.get(i).value().dup('c').data().asFloat(), want = y.get(i).value().dup('c').data().asFloat();
            boolean fp16 = "float16".equals(dtypes.get(name));
            for (int k = 0; k < want.length; k++) {
                float w = fp16 ? half(want[k]) : want[k];
                if (Float.floatToRawIntBits(got[k]) != Float.floatToRawIntBits(w)) {
                    fail(label + " " + name + "[" + k + "]: " + got[k] + " != " + w + (fp16 ? " (fp16)" : ""));
                }
            }
        }
    }

    @ParameterizedTest
    @CsvSource({
            "vit/zip_fp32.pt, vit_tiny, false",
            "vit/open_clip_epoch_3.pt, vit_tiny, false",
            "vit/legacy_fp16.pt, vit_tiny, true",
            "vit/openai_jit.pt, vit_tiny, true",
            "rn/zip_fp16.pt, rn_tiny, true",
            "rn/openai_jit.pt, rn_tiny, true",
    })
    void loadsToTheReferenceWeightsAndFeatures(String file, String model, boolean fp16) throws IOException {
        String kind = file.substring(0, file.indexOf('/'));
        try (ClipModel m = ClipModel.load(torchDir().resolve(file));
             ClipModel ref = ClipModel.load(Fixtures.dir().resolve(model + ".safetensors"));
             SafetensorsFile inputs = SafetensorsFile.open(Fixtures.dir().resolve(model + ".expected.safetensors"));
             SafetensorsFile half = SafetensorsFile.open(torchDir().resolve("expected_fp16.safetensors"))) {
            assertEquals(ref.config(), m.config(), "config from the sibling open_clip_config.json");
            assertReferenceWeights(file, m, ref, dtypes(file));
            INDArray image = inputs.floatArray("image"), text = inputs.array("text");
            INDArray wantImage = fp16 ? half.floatArray(kind + ".image_features") : inputs.floatArray("image_features");
            INDArray wantText = fp16 ? half.floatArray(kind + ".text_features") : inputs.floatArray("text_features");
            Fixtures.assertClose(file + " image_features", m.encodeImage(image), wantImage, 1e-4);
            Fixtures.assertClose(file + " text_features", m.encodeText(text), wantText, 1e-4);
            if (fp16) {
                // the rounding is visible: the float32 reference features are not what this file gives
                assertTrue(Fixtures.normwise(wantImage, inputs.floatArray("image_features")) > 1e-4,
                        "fp16 rounding changes the features measurably");
            }
        }
    }

    @Test
    void huggingFaceDirectoryWithPytorchModelBin() throws IOException {
        Path dir = tmp.resolve("hf");
        try (ClipModel ref = ClipModel.load(Fixtures.dir().resolve("vit_tiny.safetensors"))) {
            ref.exportHuggingFace(dir); // for its config.json
            Files.delete(dir.resolve("model.safetensors"));
            Files.copy(torchDir().resolve("vit/hf/pytorch_model.bin"), dir.resolve("pytorch_model.bin"));
            try (ClipModel m = ClipModel.load(dir)) {
                assertEquals(ref.config(), m.config());
                assertReferenceWeights("hf", m, ref, Map.of());
            }
            try (ClipModel m = ClipModel.load(dir.resolve("pytorch_model.bin"))) {
                assertReferenceWeights("hf file", m, ref, Map.of());
            }
        }
    }

    @Test
    void withoutAConfigTheReferenceRuleIsExplained() throws IOException {
        // width 48 text towers: transformer_width / 64 heads does not divide, so a config must be given
        Path lone = Files.copy(torchDir().resolve("vit/openai_jit.pt"), tmp.resolve("ViT-tiny.pt"));
        ClipException e = assertThrows(ClipException.class, () -> ClipModel.load(lone));
        assertTrue(e.getMessage().contains("ViT-tiny.pt") && e.getMessage().contains("open_clip_config.json"),
                e.getMessage());
        Files.copy(torchDir().resolve("vit/open_clip_config.json"), tmp.resolve("open_clip_config.json"));
        try (ClipModel m = ClipModel.load(lone)) {
            assertEquals(4, m.config().text().heads());
        }
    }

    @Test
    void damagedCheckpointsAreNamed() throws IOException {
        byte[] b = Files.readAllBytes(torchDir().resolve("vit/zip_fp32.pt"));
        Path cut = Files.write(tmp.resolve("cut.pt"), java.util.Arrays.copyOf(b, b.length / 2));
        ClipException e = assertThrows(ClipException.class, () -> ClipModel.load(cut));
        assertTrue(e.getMessage().contains("cut.pt"), e.getMessage());
    }

    @Test
    void formatsAreToldApartByContentNotByName() throws IOException {
        // a safetensors file whose header length starts with byte 0x80 (as a pickle does), renamed .bin
        Path st = tmp.resolve("renamed.bin");
        try (ClipModel ref = ClipModel.load(Fixtures.dir().resolve("vit_tiny.safetensors"))) {
            ref.save(tmp.resolve("w.safetensors"));
            Files.copy(tmp.resolve("w.safetensors"), st);
            try (ClipModel m = ClipModel.load(st)) {
                assertReferenceWeights("renamed safetensors", m, ref, Map.of());
            }
            byte[] pad = new byte[0x80 + 3 * 256]; // a header of 0x380 bytes: first byte 0x80
            java.util.Arrays.fill(pad, (byte) ' ');
            pad[0] = '{';
            pad[1] = '}';
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + pad.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.putLong(pad.length).put(pad);
            Path empty = Files.write(tmp.resolve("empty.safetensors"), b.array());
            assertTrue(org.clip4j.core.torch.TorchCheckpoint.looksLikeTorch(torchDir().resolve("vit/legacy_fp16.pt")));
            assertFalse(org.clip4j.core.torch.TorchCheckpoint.looksLikeTorch(empty), "0x80 first byte, but safetensors");
            // a PyTorch file named .safetensors is still read as PyTorch
            Path renamed = Files.copy(torchDir().resolve("vit/zip_fp32.pt"), tmp.resolve("zip.safetensors"));
            Files.copy(torchDir().resolve("vit/open_clip_config.json"), tmp.resolve("open_clip_config.json"));
            try (ClipModel m = ClipModel.load(renamed)) {
                assertReferenceWeights("renamed torch", m, ref, Map.of());
            }
        }
    }

    @Test
    void openClipFolderWithPytorchWeights() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("oc"));
        Files.copy(torchDir().resolve("vit/open_clip_config.json"), dir.resolve("open_clip_config.json"));
        Files.copy(torchDir().resolve("vit/open_clip_epoch_3.pt"), dir.resolve("open_clip_pytorch_model.bin"));
        try (ClipModel m = ClipModel.load(dir);
             ClipModel ref = ClipModel.load(Fixtures.dir().resolve("vit_tiny.safetensors"))) {
            assertReferenceWeights("OpenCLIP folder", m, ref, Map.of());
        }
        // the config can also be given by the caller (here: the same one, from the fixture)
        try (ClipModel ref = ClipModel.load(Fixtures.dir().resolve("vit_tiny.safetensors"));
             ClipModel m = ClipModel.load(torchDir().resolve("vit/openai_jit.pt"), ref.config())) {
            assertEquals(ref.config(), m.config());
        }
    }
}
