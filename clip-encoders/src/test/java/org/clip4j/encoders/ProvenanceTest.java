package org.clip4j.encoders;

import org.clip4j.core.ClipException;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Precision;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.core.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** Provenance in the model file, and the towers as registered children of ClipModel. */
class ProvenanceTest {
    @TempDir
    Path tmp;

    static ClipConfig tiny() {
        return ClipConfig.fromJson("{\"embed_dim\": 8, \"quick_gelu\": false, \"vision_cfg\": "
                + "{\"image_size\": 16, \"layers\": 1, \"width\": 16, \"patch_size\": 8, \"head_width\": 8},"
                + " \"text_cfg\": {\"context_length\": 6, \"vocab_size\": 20, \"width\": 12, \"heads\": 3, \"layers\": 1}}");
    }

    static Provenance sample() {
        return new Provenance("0.1.0", "custom", "random (reference initialisation)", "synthetic shapes (40 samples)", 6, 10,
                11, 8, 4, 1, "AdamW lr 0.001, betas (0.9, 0.98), eps 1e-06, weight decay 0.2", "cosine, warmup 2 steps", 1.5,
                "none", "none (evaluation transform)", "bf16 (mixed)", Instant.parse("2026-12-04T19:30:00Z"), "17.0.9",
                "1.0.0-M2.1");
    }

    @Test
    void provenanceRoundTripsThroughSaveAndLoad() {
        Path out = tmp.resolve("m.safetensors");
        try (ClipModel m = ClipModel.create(tiny(), 1)) {
            assertTrue(m.provenance().isEmpty(), "a new model has none");
            m.setProvenance(sample());
            m.save(out);
        }
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            String json = f.metadata().get(Provenance.METADATA_KEY);
            assertNotNull(json, f.metadata().toString());
            assertTrue(json.contains("\"global_batch\":8") && json.contains("\"started\":\"2026-12-04T19:30:00Z\""), json);
        }
        try (ClipModel back = ClipModel.load(out)) {
            Provenance p = back.provenance().orElseThrow();
            assertEquals(sample(), p);
            assertEquals(6, p.steps());
            assertEquals(10, p.totalSteps());
            assertEquals(11, p.seed());
            assertEquals(4, p.microBatch());
            assertEquals(1.5, p.gradClip());
            assertEquals("cosine, warmup 2 steps", p.schedule());
            assertEquals(Instant.parse("2026-12-04T19:30:00Z"), p.started());
        }
    }

    @Test
    void aFileWithoutProvenanceLoadsWithNone() {
        // the reference fixture, written by PyTorch: OpenAI names, no clip4j metadata
        try (ClipModel m = ClipModel.load(Fixtures.dir().resolve("vit_tiny.safetensors"))) {
            assertEquals(Optional.empty(), m.provenance());
        }
    }

    @Test
    void aDamagedProvenanceIsIgnoredAndTheWeightsLoad() throws IOException {
        Path out = tmp.resolve("m.safetensors"), bad = tmp.resolve("bad.safetensors");
        try (ClipModel m = ClipModel.create(tiny(), 1)) {
            m.save(out);
        }
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            w.metadata(f.metadata()).metadata(Provenance.METADATA_KEY, "{\"clip4j\": 3}");
            for (String n : f.names()) {
                INDArray v = f.array(n);
                w.put(n, v);
            }
        }
        w.write(bad);
        try (ClipModel m = ClipModel.load(bad)) {
            assertTrue(m.provenance().isEmpty());
            assertEquals(tiny(), m.config());
        }
    }

    @Test
    void readingNamesEveryMissingOrMistypedField() {
        String json = sample().toJsonNode().remove(List.of("seed", "started")).put("steps", "six").toString();
        ClipException e = assertThrows(ClipException.class, () -> Provenance.fromJson(json, "x.safetensors"));
        assertEquals("x.safetensors: provenance: 'steps' is not an integer, 'seed' missing, 'started' missing", e.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> sample().withSteps(-1));
        assertEquals("Provenance.steps -1: expected >= 0", bad.getMessage());
    }

    @Test
    void theTowersAreChildrenSoPrecisionAndProbesReachTheTextTower() {
        try (ClipModel m = ClipModel.create(tiny(), 1)) {
            m.setPrecision(Precision.BF16);
            assertEquals(Precision.BF16, m.text().precision());
            assertEquals(Precision.BF16, m.text().transformer().blocks().get(0).attn().precision());
            assertEquals(Precision.BF16, m.visual().precision());
            m.setPrecision(Precision.FP32);
            assertEquals(Precision.FP32, m.text().transformer().blocks().get(0).attn().precision());

            List<String> seen = new ArrayList<>();
            m.setProbe((key, value) -> seen.add(key));
            try (INDArray ids = org.nd4j.linalg.factory.Nd4j.create(new long[][]{{1, 5, 19, 0, 0, 0}}).castTo(
                    org.nd4j.linalg.api.buffer.DataType.INT64); INDArray f = m.encodeText(ids)) {
                assertEquals(8, f.size(1));
            }
            assertTrue(seen.contains("token_embedding"), "the text tower's own probe point: " + seen);
            m.setProbe(null);
        }
    }

    @Test
    void theStateDictKeepsOpenAisOrder() {
        try (ClipModel m = ClipModel.create(tiny(), 1)) {
            List<String> names = m.stateDict().stream().map(p -> p.name()).toList();
            assertEquals(List.of("positional_embedding", "text_projection", "logit_scale", "visual.class_embedding"),
                    names.subList(0, 4));
            assertEquals("ln_final.bias", names.get(names.size() - 1));
            assertEquals(names.size(), new java.util.HashSet<>(names).size(), "no entry twice");
        }
    }
}
