package org.clip4j.encoders;

import org.clip4j.core.ClipException;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.safetensors.DType;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.core.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiPredicate;

import static org.junit.jupiter.api.Assertions.*;

/** Hugging Face and OpenCLIP checkpoint formats: export, load, config, and error reports. */
class CheckpointFormatsTest {
    @TempDir
    Path tmp;

    private static Path vitTiny() {
        return Fixtures.dir().resolve("vit_tiny.safetensors");
    }

    private static void assertSameWeights(ClipModel a, ClipModel b) {
        List<Parameter> x = a.stateDict(), y = b.stateDict();
        assertEquals(x.size(), y.size());
        for (int i = 0; i < x.size(); i++) {
            assertEquals(x.get(i).name(), y.get(i).name());
            assertArrayEquals(x.get(i).value().dup().data().asFloat(), y.get(i).value().dup().data().asFloat(),
                    x.get(i).name());
        }
    }

    @Test
    void huggingFaceExportLoadsBackBitExactWithIdenticalOutputs() throws IOException {
        Path dir = tmp.resolve("hf");
        try (ClipModel m = ClipModel.load(vitTiny());
             SafetensorsFile expected = SafetensorsFile.open(Fixtures.dir().resolve("vit_tiny.expected.safetensors"))) {
            m.exportHuggingFace(dir);
            try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
                assertEquals(62 + 16, f.names().size());
                assertTrue(f.contains("vision_model.pre_layrnorm.weight"));
                assertArrayEquals(new long[] {32, 64}, f.info("visual_projection.weight").shape());
            }
            try (ClipModel back = ClipModel.load(dir)) {
                assertEquals(m.config(), back.config());
                assertSameWeights(m, back);
                INDArray image = expected.floatArray("image"), text = expected.array("text");
                INDArray a = m.encodeImage(image), b = back.encodeImage(image);
                assertEquals(a, b);
                assertEquals(m.encodeText(text), back.encodeText(text));
                Fixtures.assertClose("HF-loaded image_features", b, expected.floatArray("image_features"), 1e-4);
            }
            // model.safetensors given directly works too (config.json beside it).
            try (ClipModel back = ClipModel.load(dir.resolve("model.safetensors"))) {
                assertSameWeights(m, back);
            }
        }
        String json = Files.readString(dir.resolve("config.json"));
        ClipConfig cfg = HfClipConfig.parse(json);
        assertEquals(32, cfg.embedDim());
        assertEquals(4, cfg.text().heads());
        assertEquals(64, cfg.vision().headWidth());
        assertTrue(json.contains("\"quick_gelu\"") && json.contains("\"eos_token_id\" : 2"), json);
    }

    @Test
    void huggingFaceHalfPrecisionIsUpcast() throws IOException {
        Path dir = tmp.resolve("hf16");
        try (ClipModel m = ClipModel.load(vitTiny())) {
            m.exportHuggingFace(dir);
        }
        Path f32 = Files.move(dir.resolve("model.safetensors"), tmp.resolve("f32.safetensors"));
        try (SafetensorsFile f = SafetensorsFile.open(f32)) {
            SafetensorsWriter w = new SafetensorsWriter().metadata(f.metadata());
            for (String n : f.names()) {
                DType t = n.contains("q_proj") ? DType.F16 : n.equals("visual_projection.weight") ? DType.BF16 : DType.F32;
                w.putFloats(n, t, f.info(n).shape(), f.floats(n));
            }
            w.write(dir.resolve("model.safetensors"));
        }
        try (ClipModel m = ClipModel.load(dir); ClipModel ref = ClipModel.load(vitTiny())) {
            INDArray a = m.visual().stateDict().stream().filter(p -> p.name().equals("visual.proj")).findFirst()
                    .orElseThrow().value();
            INDArray b = ref.visual().stateDict().stream().filter(p -> p.name().equals("visual.proj")).findFirst()
                    .orElseThrow().value();
            double err = Fixtures.normwise(a, b);
            assertTrue(err > 0 && err < 1e-2, "bf16 visual.proj " + err); // 8 mantissa bits: close, not equal
            INDArray q = m.text().transformer().blocks().get(0).attn().inProj().weight().value();
            INDArray qRef = ref.text().transformer().blocks().get(0).attn().inProj().weight().value();
            double errQ = Fixtures.normwise(q, qRef);
            assertTrue(errQ > 0 && errQ < 1e-3, "f16 q rows " + errQ);
        }
    }

    @Test
    void huggingFaceConfigOfOpenAiVitB32() {
        // The fields of openai/clip-vit-base-patch32/config.json that matter (the hub file has many more).
        String json = "{\"architectures\": [\"CLIPModel\"], \"model_type\": \"clip\", \"projection_dim\": 512,"
                + " \"text_config\": {\"hidden_size\": 512, \"intermediate_size\": 2048, \"num_attention_heads\": 8,"
                + " \"num_hidden_layers\": 12, \"max_position_embeddings\": 77, \"vocab_size\": 49408,"
                + " \"hidden_act\": \"quick_gelu\", \"layer_norm_eps\": 1e-05, \"eos_token_id\": 2},"
                + " \"text_config_dict\": null,"
                + " \"vision_config\": {\"hidden_size\": 768, \"intermediate_size\": 3072, \"num_attention_heads\": 12,"
                + " \"num_hidden_layers\": 12, \"image_size\": 224, \"patch_size\": 32, \"hidden_act\": \"quick_gelu\"}}";
        assertEquals(ClipConfig.builtin("ViT-B-32-quickgelu"), HfClipConfig.parse(json));
        // Legacy *_config_dict members override; absent fields take the transformers defaults.
        String legacy = "{\"projection_dim\": 768, \"text_config\": {}, \"text_config_dict\": {\"hidden_size\": 768,"
                + " \"intermediate_size\": 3072, \"num_attention_heads\": 12}, \"vision_config_dict\": {\"hidden_size\": 1024,"
                + " \"intermediate_size\": 4096, \"num_attention_heads\": 16, \"num_hidden_layers\": 24, \"patch_size\": 14}}";
        assertEquals(ClipConfig.builtin("ViT-L-14-quickgelu"), HfClipConfig.parse(legacy));
        assertFalse(HfClipConfig.parse(json.replace("quick_gelu", "gelu")).quickGelu());
        ClipException e = assertThrows(ClipException.class,
                () -> HfClipConfig.parse(json.replace("\"hidden_act\": \"quick_gelu\"}}", "\"hidden_act\": \"gelu\"}}")));
        assertTrue(e.getMessage().contains("different activations"), e.getMessage());
        e = assertThrows(ClipException.class, () -> HfClipConfig.parse("{\"model_type\": \"siglip\"}"));
        assertTrue(e.getMessage().contains("siglip"), e.getMessage());
        assertEquals(HfClipConfig.parse(json), HfClipConfig.parse(HfClipConfig.toJson(HfClipConfig.parse(json))));
    }

    @Test
    void huggingFaceErrorsListEveryProblemInHfNames() throws IOException {
        Path dir = tmp.resolve("hf");
        try (ClipModel m = ClipModel.load(vitTiny())) {
            m.exportHuggingFace(dir);
        }
        Path good = Files.move(dir.resolve("model.safetensors"), tmp.resolve("good.safetensors"));
        rewrite(good, dir.resolve("model.safetensors"), (n, w) -> {
            if (n.equals("text_model.encoder.layers.1.self_attn.k_proj.weight")) return true;    // drop
            if (n.equals("visual_projection.weight")) {                                          // OpenAI layout
                w.putFloats(n, new long[] {64, 32}, new float[64 * 32]);
                return true;
            }
            return false;
        }, true);
        ClipException e = assertThrows(ClipException.class, () -> ClipModel.load(dir));
        String msg = e.getMessage();
        assertTrue(msg.contains("missing (1)") && msg.contains("text_model.encoder.layers.1.self_attn.k_proj.weight [48, 48]"), msg);
        assertTrue(msg.contains("visual_projection.weight: expected [32, 64], found [64, 32]"), msg);
        assertTrue(msg.contains("unexpected (1)") && msg.contains("vision_model.extra [2]"), msg);
        assertFalse(msg.contains("position_ids"), msg); // position_ids buffers are accepted and ignored
    }

    @Test
    void openClipDirectoryAndCustomTextNames() throws IOException {
        ClipConfig want;
        try (ClipModel m = ClipModel.load(vitTiny())) {
            want = m.config();
        }
        String ocJson = "{\"model_cfg\": " + want.toJson() + ", \"preprocess_cfg\": {\"mean\": [0.48145466, 0.4578275, 0.40821073]}}";
        Path dir = Files.createDirectories(tmp.resolve("oc"));
        rewrite(vitTiny(), dir.resolve("open_clip_model.safetensors"), (n, w) -> false, false);
        Files.writeString(dir.resolve("open_clip_config.json"), ocJson);
        try (ClipModel m = ClipModel.load(dir); ClipModel ref = ClipModel.load(vitTiny())) {
            assertEquals(want, m.config());
            assertSameWeights(ref, m);
        }
        // CustomTextCLIP: text tower entries under text.*
        Path custom = Files.createDirectories(tmp.resolve("custom"));
        rewrite(vitTiny(), custom.resolve("open_clip_model.safetensors"), (n, w) -> {
            if (n.startsWith("visual.") || n.equals("logit_scale")) return false;
            try (SafetensorsFile f = SafetensorsFile.open(vitTiny())) {
                w.putFloats("text." + n, f.info(n).shape(), f.floats(n));
            }
            return true;
        }, false);
        Files.writeString(custom.resolve("open_clip_config.json"), ocJson.replace("\"quick_gelu\":true", "\"quick_gelu\":true,\"custom_text\":true"));
        try (ClipModel m = ClipModel.load(custom); ClipModel ref = ClipModel.load(vitTiny())) {
            assertSameWeights(ref, m);
        }
        // Options that change the network are refused, all listed.
        Files.writeString(dir.resolve("open_clip_config.json"), ocJson.replace("\"head_width\":64",
                "\"head_width\":64,\"ls_init_value\":1e-5,\"pool_type\":\"avg\"").replace("\"heads\":4", "\"heads\":4,\"no_causal_mask\":true"));
        ClipException e = assertThrows(ClipException.class, () -> ClipModel.load(dir));
        assertTrue(e.getMessage().contains("vision_cfg.ls_init_value") && e.getMessage().contains("vision_cfg.pool_type")
                && e.getMessage().contains("text_cfg.no_causal_mask=true"), e.getMessage());
        assertTrue(e.getMessage().contains("open_clip_config.json"), e.getMessage());
    }

    @Test
    void resNetOpenClipDirectory() throws IOException {
        Path rnFile = Fixtures.dir().resolve("rn_tiny.safetensors");
        Path dir = Files.createDirectories(tmp.resolve("rn"));
        Files.copy(rnFile, dir.resolve("open_clip_model.safetensors"));
        try (ClipModel ref = ClipModel.load(rnFile)) {
            Files.writeString(dir.resolve("open_clip_config.json"), "{\"model_cfg\": " + ref.config().toJson() + "}");
            try (ClipModel m = ClipModel.load(dir);
                 SafetensorsFile expected = SafetensorsFile.open(Fixtures.dir().resolve("rn_tiny.expected.safetensors"))) {
                assertEquals(ref.config(), m.config());
                assertEquals(153, m.stateDict().size());
                assertSameWeightsAndBuffers(ref, m);
                // Image outputs once the ResNet forward exists; skipped only while it is a skeleton.
                INDArray f;
                try {
                    f = m.encodeImage(expected.floatArray("image"));
                } catch (UnsupportedOperationException e) {
                    org.junit.jupiter.api.Assumptions.assumeTrue(false, "ModifiedResNet forward: " + e.getMessage());
                    return;
                }
                Fixtures.assertClose("rn_tiny (OpenCLIP dir) image_features", f, expected.floatArray("image_features"), 1e-4);
            }
        }
    }

    private static void assertSameWeightsAndBuffers(ClipModel a, ClipModel b) {
        List<Parameter> x = a.stateDict(), y = b.stateDict();
        for (int i = 0; i < x.size(); i++) {
            assertEquals(x.get(i).name(), y.get(i).name());
            assertArrayEquals(x.get(i).value().dup().data().asDouble(), y.get(i).value().dup().data().asDouble(),
                    x.get(i).name());
        }
    }

    @Test
    void unsupportedInputsAreNamed() throws IOException {
        Path pt = Files.write(tmp.resolve("ViT-B-32.pt"), new byte[] {1, 2, 3});
        ClipException e = assertThrows(ClipException.class, () -> ClipModel.load(pt));
        assertTrue(e.getMessage().contains("ViT-B-32.pt") && e.getMessage().contains("PyTorch"), e.getMessage());
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Files.write(empty.resolve("pytorch_model.bin"), new byte[] {1});
        e = assertThrows(ClipException.class, () -> ClipModel.load(empty));
        assertTrue(e.getMessage().contains("pytorch_model.bin") && e.getMessage().contains("config.json"), e.getMessage());
        e = assertThrows(ClipException.class, () -> ClipModel.load(tmp.resolve("nope.safetensors")));
        assertTrue(e.getMessage().contains("nope.safetensors"), e.getMessage());
        // An HF-named file without its config.json is recognised and explained.
        Path hf = tmp.resolve("hf");
        try (ClipModel m = ClipModel.load(vitTiny())) {
            m.exportHuggingFace(hf);
        }
        Path lone = Files.move(hf.resolve("model.safetensors"), tmp.resolve("lone.safetensors"));
        e = assertThrows(ClipException.class, () -> ClipModel.load(lone));
        assertTrue(e.getMessage().contains("Hugging Face CLIPModel tensor names"), e.getMessage());
        // ModifiedResNet has no HF counterpart.
        try (ClipModel rn = ClipModel.load(Fixtures.dir().resolve("rn_tiny.safetensors"))) {
            e = assertThrows(ClipException.class, () -> rn.exportHuggingFace(tmp.resolve("rnhf")));
            assertTrue(e.getMessage().contains("ModifiedResNet"), e.getMessage());
        }
    }

    /**
     * Copies {@code src} to {@code dst}; {@code custom} may write a tensor itself (returning true) or skip it.
     * With {@code extra} an unexpected tensor and a position_ids buffer are added.
     */
    private static void rewrite(Path src, Path dst, BiPredicate<String, SafetensorsWriter> custom, boolean extra)
            throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            SafetensorsWriter w = new SafetensorsWriter().metadata(f.metadata());
            for (String n : f.names()) if (!custom.test(n, w)) w.putFloats(n, f.info(n).shape(), f.floats(n));
            if (extra) {
                w.putFloats("vision_model.extra", new long[] {2}, new float[] {1, 2});
                w.putLongs("text_model.embeddings.position_ids", DType.I64, new long[] {1, 16}, new long[16]);
            }
            w.write(dst);
        }
    }
}
