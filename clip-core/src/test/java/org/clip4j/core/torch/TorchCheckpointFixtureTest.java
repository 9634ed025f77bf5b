package org.clip4j.core.torch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The archives of testdata/torch-checkpoints (written by clip-encoders/src/test/scripts/torch_checkpoints.py
 * with Debian's python3-torch) read back, name for name, as the tensors torch.load / torch.jit.load give
 * (expected.json: names in order, dtypes, shapes) and bit for bit as the reference weights of
 * testdata/clip-reference: float32 files equal them exactly, float16 ones equal them rounded to half precision
 * (the reference convert_weights()), which HalfRounding reproduces.
 */
class TorchCheckpointFixtureTest {
    static Path testdata() {
        String root = System.getProperty("clip4j.testdata");
        if (root == null) fail("system property clip4j.testdata is not set (run the tests through Maven)");
        return Path.of(root);
    }

    @ParameterizedTest
    @CsvSource({
            "vit/zip_fp32.pt, vit_tiny, ZIP, top-level dict",
            "vit/legacy_fp16.pt, vit_tiny, LEGACY, top-level dict",
            "vit/openai_jit.pt, vit_tiny, TORCHSCRIPT, TorchScript module parameters and buffers",
            "vit/open_clip_epoch_3.pt, vit_tiny, ZIP, '''state_dict'' entry, ''module.'' prefix removed'",
            "rn/zip_fp16.pt, rn_tiny, ZIP, top-level dict",
            "rn/openai_jit.pt, rn_tiny, TORCHSCRIPT, TorchScript module parameters and buffers",
    })
    void readsTheReferenceWeights(String file, String model, TorchCheckpoint.Format format, String origin) throws Exception {
        Path dir = testdata().resolve("torch-checkpoints");
        JsonNode expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile()).get("files").get(file);
        assertNotNull(expected, file + " in expected.json");
        try (TorchCheckpoint c = TorchCheckpoint.open(dir.resolve(file));
             SafetensorsFile ref = SafetensorsFile.open(testdata().resolve("clip-reference/" + model + ".safetensors"))) {
            assertEquals(format, c.format());
            assertEquals(origin, c.stateDictOrigin());
            Map<String, TorchTensor> sd = c.stateDict();
            List<String> names = new ArrayList<>();
            for (JsonNode e : expected) names.add(e.get("name").asText());
            assertEquals(names, new ArrayList<>(sd.keySet()), "state-dict names in torch's order");
            int half = 0, shared = 0;
            for (JsonNode e : expected) {
                String name = e.get("name").asText();
                TorchTensor t = sd.get(name);
                long[] shape = new long[e.get("shape").size()];
                for (int i = 0; i < shape.length; i++) shape[i] = e.get("shape").get(i).asLong();
                assertArrayEquals(shape, t.shape(), name);
                assertArrayEquals(ref.info(name).shape(), t.shape(), name);
                assertEquals(torchName(t.dtype()), e.get("dtype").asText(), name);
                if (t.dtype().isFloat()) {
                    float[] want = ref.floats(name);
                    if (t.dtype() == TorchDType.HALF) {
                        half++;
                        for (int i = 0; i < want.length; i++) want[i] = HalfRounding.round(want[i]);
                    }
                    float[] got = t.floats();
                    for (int i = 0; i < want.length; i++) {
                        if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want[i])) {
                            fail(file + " " + name + "[" + i + "]: " + got[i] + " != " + want[i]);
                        }
                    }
                } else {
                    assertArrayEquals(ref.longs(name), t.longs(), name);
                }
                if (!t.isContiguous() || t.storageOffset() != 0) shared++;
            }
            System.out.printf("  %s: %d tensors (%d fp16, %d views with an offset or strides), origin %s%n",
                    file, sd.size(), half, shared, c.stateDictOrigin());
            if (file.contains("fp16") || file.contains("jit")) assertTrue(half > 0, "some fp16 weights");
            if (file.equals("vit/zip_fp32.pt")) {
                assertEquals(1, sd.values().stream().filter(t -> t.dtype().isFloat()).map(TorchTensor::storageKey)
                        .distinct().count(), "every float tensor views one storage");
                assertFalse(sd.get("text_projection").isContiguous(), "text_projection is stored transposed");
                assertArrayEquals(new long[]{1, 48}, sd.get("text_projection").stride());
            }
            if (file.equals("vit/legacy_fp16.pt")) {
                assertEquals(sd.get("visual.transformer.resblocks.0.attn.in_proj_weight").storageKey(),
                        sd.get("transformer.resblocks.1.attn.in_proj_weight").storageKey(), "shared in_proj storage");
            }
        }
    }

    private static String torchName(TorchDType t) {
        return switch (t) {
            case FLOAT -> "float32";
            case HALF -> "float16";
            case BFLOAT16 -> "bfloat16";
            case DOUBLE -> "float64";
            case LONG -> "int64";
            case INT -> "int32";
            case SHORT -> "int16";
            case CHAR -> "int8";
            case BYTE -> "uint8";
            case BOOL -> "bool";
        };
    }

    @ParameterizedTest
    @CsvSource({"vit/openai_jit.pt", "rn/openai_jit.pt"})
    void torchScriptArchivesAreReadWithoutTheirCode(String file) {
        try (TorchCheckpoint c = TorchCheckpoint.open(testdata().resolve("torch-checkpoints").resolve(file))) {
            TorchObject root = (TorchObject) c.root();
            assertTrue(root.className().startsWith("__torch__."), root.className());
            assertTrue(root.attributes().get("visual") instanceof TorchObject);
            assertEquals(Boolean.FALSE, root.attributes().get("training"));
            assertEquals(List.of(), c.skippedEntries(), Arrays.toString(c.skippedEntries().toArray()));
        }
    }
}
