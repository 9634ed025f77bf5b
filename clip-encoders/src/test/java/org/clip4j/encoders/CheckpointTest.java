package org.clip4j.encoders;

import org.clip4j.core.ClipException;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.safetensors.DType;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.core.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading, saving, config resolution and loader error reports. */
class CheckpointTest {
    @TempDir
    Path tmp;

    private static Path vitTiny() {
        return Fixtures.dir().resolve("vit_tiny.safetensors");
    }

    @Test
    void weightsReadBackBitExact() {
        try (ClipModel m = ClipModel.load(vitTiny()); SafetensorsFile f = SafetensorsFile.open(vitTiny())) {
            List<Parameter> sd = m.stateDict();
            assertEquals(f.names(), sd.stream().map(Parameter::name).toList()); // reference state_dict order
            for (Parameter p : sd) assertArrayEquals(f.floats(p.name()), p.value().dup().data().asFloat(), p.name());
        }
    }

    @Test
    void saveLoadRoundTripIsBitExact() throws IOException {
        ClipConfig cfg = ClipConfig.fromJson("{\"embed_dim\": 8, \"quick_gelu\": false, \"vision_cfg\": "
                + "{\"image_size\": 16, \"layers\": 1, \"width\": 16, \"patch_size\": 8, \"head_width\": 8},"
                + " \"text_cfg\": {\"context_length\": 6, \"vocab_size\": 20, \"width\": 12, \"heads\": 3, \"layers\": 1}}");
        Path out = tmp.resolve("m.safetensors");
        try (ClipModel m = ClipModel.create(cfg, 42)) {
            m.save(out);
            try (ClipModel back = ClipModel.load(out)) {
                assertEquals(cfg, back.config());
                for (int i = 0; i < m.stateDict().size(); i++) {
                    Parameter a = m.stateDict().get(i), b = back.stateDict().get(i);
                    assertEquals(a.name(), b.name());
                    assertArrayEquals(a.value().dup().data().asFloat(), b.value().dup().data().asFloat(), a.name());
                }
                Path again = tmp.resolve("again.safetensors");
                back.save(again);
                assertArrayEquals(Files.readAllBytes(out), Files.readAllBytes(again));
            }
        }
        // The rn_tiny checkpoint (ResNet with BatchNorm buffers and I64 counters) round-trips too.
        Path rn = tmp.resolve("rn.safetensors");
        try (ClipModel m = ClipModel.load(Fixtures.dir().resolve("rn_tiny.safetensors"))) {
            m.save(rn);
        }
        try (SafetensorsFile a = SafetensorsFile.open(Fixtures.dir().resolve("rn_tiny.safetensors"));
             SafetensorsFile b = SafetensorsFile.open(rn)) {
            assertEquals(a.names(), b.names());
            for (String n : a.names()) {
                assertEquals(a.info(n).dtype(), b.info(n).dtype(), n);
                assertEquals(a.buffer(n), b.buffer(n), n);
            }
        }
    }

    @Test
    void missingAndMisshapedTensorsAreListedTogether() throws IOException {
        Path bad = tmp.resolve("bad.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(vitTiny())) {
            SafetensorsWriter w = new SafetensorsWriter().metadata(f.metadata());
            for (String n : f.names()) {
                if (n.equals("visual.proj") || n.equals("ln_final.bias")) continue; // missing
                if (n.equals("text_projection")) {
                    w.putFloats(n, new long[] {32, 48}, f.floats(n));                // transposed shape
                } else {
                    w.putFloats(n, f.info(n).shape(), f.floats(n));
                }
            }
            w.putFloats("visual.extra", new long[] {2}, new float[] {1, 2});
            w.write(bad);
        }
        ClipException e = assertThrows(ClipException.class, () -> ClipModel.load(bad));
        String msg = e.getMessage();
        assertTrue(msg.contains("bad.safetensors"), msg);
        assertTrue(msg.contains("missing (2)"), msg);
        assertTrue(msg.contains("visual.proj [64, 32]"), msg);
        assertTrue(msg.contains("ln_final.bias [48]"), msg);
        assertTrue(msg.contains("text_projection: expected [48, 32], found [32, 48]"), msg);
        assertTrue(msg.contains("unexpected (1)"), msg);
        assertTrue(msg.contains("visual.extra [2]"), msg);
    }

    @Test
    void halfPrecisionCheckpointIsUpcast() throws IOException {
        Path half = tmp.resolve("half.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(vitTiny())) {
            SafetensorsWriter w = new SafetensorsWriter().metadata(f.metadata());
            for (String n : f.names()) {
                DType t = n.endsWith("in_proj_weight") ? DType.F16 : n.equals("text_projection") ? DType.BF16 : DType.F32;
                w.putFloats(n, t, f.info(n).shape(), f.floats(n));
            }
            w.write(half);
        }
        try (ClipModel m = ClipModel.load(half); ClipModel ref = ClipModel.load(vitTiny())) {
            INDArray a = m.stateDict().stream().filter(p -> p.name().equals("text_projection")).findFirst()
                    .orElseThrow().value();
            assertEquals(DataType.FLOAT, a.dataType());
            INDArray b = ref.text().textProjection().value();
            assertTrue(Fixtures.normwise(a, b) < 1e-2); // bf16 keeps 8 bits of mantissa
        }
    }

    @Test
    void configFromSiblingJsonAndFromShapes() throws IOException {
        ClipConfig want;
        try (ClipModel m = ClipModel.load(vitTiny())) {
            want = m.config();
        }
        // No config metadata at all except the text heads: inferred from shapes like build_model.
        Path dir = Files.createDirectories(tmp.resolve("inferred"));
        copyWithMetadata(dir.resolve("w.safetensors"), Map.of("transformer_heads", "4"));
        try (ClipModel m = ClipModel.load(dir.resolve("w.safetensors"))) {
            assertEquals(want, m.config());
        }
        // A sibling open_clip_config.json (HF layout with model_cfg) wins over shape inference.
        Path dir2 = Files.createDirectories(tmp.resolve("sibling"));
        copyWithMetadata(dir2.resolve("w.safetensors"), Map.of());
        Files.writeString(dir2.resolve("open_clip_config.json"), "{\"model_cfg\": " + want.toJson() + "}");
        try (ClipModel m = ClipModel.load(dir2.resolve("w.safetensors"))) {
            assertEquals(want, m.config());
        }
        // Without heads metadata the reference rule width/64 gives 0 text heads for width 48: a clear error.
        Path dir3 = Files.createDirectories(tmp.resolve("noheads"));
        copyWithMetadata(dir3.resolve("w.safetensors"), Map.of());
        ClipException e = assertThrows(ClipException.class, () -> ClipModel.load(dir3.resolve("w.safetensors")));
        assertTrue(e.getMessage().contains("heads"), e.getMessage());
    }

    @Test
    void countersMayBeAbsent() throws IOException {
        Path out = tmp.resolve("rn.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.dir().resolve("rn_tiny.safetensors"))) {
            SafetensorsWriter w = new SafetensorsWriter().metadata(f.metadata());
            for (String n : f.names()) {
                if (!n.endsWith("num_batches_tracked")) w.putFloats(n, f.info(n).shape(), f.floats(n));
            }
            w.write(out);
        }
        try (ClipModel m = ClipModel.load(out)) {
            assertEquals(153, m.stateDict().size());
        }
    }

    private static void copyWithMetadata(Path target, Map<String, String> meta) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(vitTiny())) {
            SafetensorsWriter w = new SafetensorsWriter().metadata(meta);
            for (String n : f.names()) w.putFloats(n, f.info(n).shape(), f.floats(n));
            w.write(target);
        }
    }
}
