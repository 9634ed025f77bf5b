package org.clip4j.core.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SafetensorsFileTest {
    static final Path REF = Path.of(System.getProperty("clip4j.testdata"), "clip-reference");

    @TempDir
    Path tmp;

    @Test
    void readsReferenceCheckpointHeaderAndMetadata() {
        try (SafetensorsFile f = SafetensorsFile.open(REF.resolve("vit_tiny.safetensors"))) {
            assertEquals(62, f.names().size());
            assertEquals("pt", f.metadata().get("format"));
            assertEquals("64", f.metadata().get("vision_width"));
            TensorInfo proj = f.info("visual.proj");
            assertEquals(DType.F32, proj.dtype());
            assertArrayEquals(new long[]{64, 32}, proj.shape());
            TensorInfo scale = f.info("logit_scale");
            assertArrayEquals(new long[0], scale.shape());
            assertEquals(1, scale.numel());
            assertEquals(1, f.floats("logit_scale").length);
            // ln(1/0.07) = 2.659... plus N(0, 0.02) noise (see the fixture README)
            assertEquals(Math.log(1 / 0.07), f.floats("logit_scale")[0], 0.1);
        }
    }

    @Test
    void rewritingEveryTensorIsBitExact() throws IOException {
        Path src = REF.resolve("rn_tiny.safetensors");
        Path out = tmp.resolve("copy.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            SafetensorsWriter w = new SafetensorsWriter().metadata(f.metadata());
            for (String n : f.names()) {
                TensorInfo t = f.info(n);
                byte[] raw = new byte[(int) t.byteLength()];
                f.buffer(n).get(raw);
                w.putRaw(n, t.dtype(), t.shape(), raw);
            }
            w.write(out);
            try (SafetensorsFile g = SafetensorsFile.open(out)) {
                assertEquals(f.names(), g.names());
                assertEquals(f.metadata(), g.metadata());
                for (String n : f.names()) {
                    assertEquals(f.info(n).dtype(), g.info(n).dtype(), n);
                    assertArrayEquals(f.info(n).shape(), g.info(n).shape(), n);
                    assertEquals(f.buffer(n), g.buffer(n), n);
                }
                // counters are I64 scalars
                assertArrayEquals(new long[]{0}, g.longs("visual.bn1.num_batches_tracked"));
            }
        }
    }

    @Test
    void typedRoundTripsThroughWriter() throws IOException {
        Path out = tmp.resolve("typed.safetensors");
        float[] fl = {0f, 1f, -2.5f, 65504f, 1e-8f, Float.MIN_NORMAL, 3.14159f};
        new SafetensorsWriter()
                .metadata("k", "v")
                .putFloats("f32", new long[]{7}, fl)
                .putFloats("f16", DType.F16, new long[]{7}, fl)
                .putFloats("bf16", DType.BF16, new long[]{7}, fl)
                .putDoubles("f64", new long[]{1, 2}, new double[]{Math.PI, -1e300})
                .putLongs("i64", DType.I64, new long[]{2}, new long[]{Long.MAX_VALUE, -1})
                .putLongs("i32", DType.I32, new long[]{2}, new long[]{Integer.MIN_VALUE, 7})
                .putBytes("u8", new long[]{3}, new byte[]{0, (byte) 200, (byte) 255})
                .putFloats("empty", new long[]{0, 4}, new float[0])
                .write(out);
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertEquals("v", f.metadata().get("k"));
            assertArrayEquals(fl, f.floats("f32"));
            // half: 1e-8 underflows to 0 (smallest subnormal is 2^-24 ≈ 6e-8), pi rounds to 3.140625
            assertArrayEquals(new float[]{0f, 1f, -2.5f, 65504f, 0f, 0f, 3.140625f}, f.floats("f16"));
            // bfloat16 keeps the float exponent range: 65504 → 65536, pi → 3.140625 (values from a Python bit-level rounding)
            assertArrayEquals(new float[]{0f, 1f, -2.5f, 65536f, 1.0011718e-8f, Float.MIN_NORMAL, 3.140625f},
                    f.floats("bf16"));
            assertArrayEquals(new double[]{Math.PI, -1e300}, f.doubles("f64"));
            assertArrayEquals(new long[]{Long.MAX_VALUE, -1}, f.longs("i64"));
            assertArrayEquals(new long[]{Integer.MIN_VALUE, 7}, f.longs("i32"));
            assertArrayEquals(new long[]{0, 200, 255}, f.longs("u8"));
            assertEquals(0, f.floats("empty").length);
            // data section starts 8-byte aligned
            long headerLen = ByteBuffer.wrap(Files.readAllBytes(out), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, headerLen % 8);
        }
    }

    @Test
    void indarraysKeepShapeAndType() throws IOException {
        Path out = tmp.resolve("nd.safetensors");
        INDArray a = Nd4j.linspace(1, 24, 24, DataType.FLOAT).reshape(2, 3, 4);
        INDArray transposed = a.permute(2, 1, 0); // a view in non-C order
        INDArray ids = Nd4j.createFromArray(new long[][]{{49406, 320, 49407}, {49406, 49407, 0}});
        new SafetensorsWriter().put("a", a).put("t", transposed).put("ids", ids).write(out);
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertEquals(a, f.floatArray("a"));
            assertEquals(transposed, f.floatArray("t"));
            assertArrayEquals(new long[]{4, 3, 2}, f.info("t").shape());
            assertEquals(DType.I64, f.info("ids").dtype());
            assertEquals(ids, f.array("ids"));
        }
    }

    @Test
    void writeReplacesAtomicallyAndLeavesNoTemporaryFile() throws IOException {
        Path out = tmp.resolve("w.safetensors");
        new SafetensorsWriter().putFloats("x", new long[]{1}, new float[]{1}).write(out);
        new SafetensorsWriter().putFloats("x", new long[]{2}, new float[]{2, 3}).write(out);
        try (SafetensorsFile f = SafetensorsFile.open(out)) {
            assertArrayEquals(new float[]{2, 3}, f.floats("x"));
        }
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(out), s.toList());
        }
    }

    @Test
    void halfConversionsAreExactAndRoundToNearestEven() {
        assertEquals(0x3c00, HalfFloats.floatToHalf(1f) & 0xffff);
        assertEquals(0x7bff, HalfFloats.floatToHalf(65504f) & 0xffff);
        assertEquals(0x7c00, HalfFloats.floatToHalf(65520f) & 0xffff); // rounds up to infinity
        assertEquals(0x0001, HalfFloats.floatToHalf(0x1p-24f) & 0xffff);
        assertEquals(0x0000, HalfFloats.floatToHalf(0x1p-25f) & 0xffff); // tie → even (zero)
        assertEquals(0x0002, HalfFloats.floatToHalf(0x1.4p-23f) & 0xffff); // 2.5 · 2^-24: tie → even
        assertEquals(0xc000, HalfFloats.floatToHalf(-2f) & 0xffff);
        assertEquals(0x3c00, HalfFloats.floatToHalf(1f + 0x1p-11f) & 0xffff); // tie → even
        assertEquals(0x3c02, HalfFloats.floatToHalf(1f + 0x3p-11f) & 0xffff); // tie → even (up)
        assertTrue(Float.isNaN(HalfFloats.halfToFloat(HalfFloats.floatToHalf(Float.NaN))));
        // every half value survives half → float → half
        for (int b = 0; b < 0x10000; b++) {
            float f = HalfFloats.halfToFloat((short) b);
            if (Float.isNaN(f)) continue;
            assertEquals(b, HalfFloats.floatToHalf(f) & 0xffff, "half bits " + Integer.toHexString(b));
        }
        assertEquals(0x3f80, HalfFloats.floatToBf16(1f) & 0xffff);
        assertEquals(0x3f80, HalfFloats.floatToBf16(1f + 0x1p-8f) & 0xffff); // tie → even
        assertEquals(0x3f82, HalfFloats.floatToBf16(1f + 0x3p-8f) & 0xffff); // tie → even (up)
        for (int b = 0; b < 0x10000; b++) {
            float f = HalfFloats.bf16ToFloat((short) b);
            if (Float.isNaN(f)) continue;
            assertEquals(b, HalfFloats.floatToBf16(f) & 0xffff, "bf16 bits " + Integer.toHexString(b));
        }
    }

    @Test
    void missingTensorAndWrongTypeNameTheFileAndTensor() {
        Path p = REF.resolve("vit_tiny.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> f.floats("no.such"));
            assertTrue(e.getMessage().contains("no.such") && e.getMessage().contains("vit_tiny.safetensors"));
            e = assertThrows(SafetensorsException.class, () -> f.longs("visual.proj"));
            assertTrue(e.getMessage().contains("visual.proj") && e.getMessage().contains("F32"), e.getMessage());
        }
        SafetensorsException e = assertThrows(SafetensorsException.class,
                () -> SafetensorsFile.open(tmp.resolve("absent.safetensors")));
        assertTrue(e.getMessage().contains("absent.safetensors"));
    }

    /** Each bad header is rejected with a message naming the problem (and the tensor, where there is one). */
    @Test
    void invalidHeadersAreRejectedWithClearMessages() throws IOException {
        String ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        assertNull(openError(ok, 8));
        assertMessage(openError("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "'a'", "12 bytes");
        assertMessage(openError("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", 8), "'a'", "outside");
        assertMessage(openError("{\"a\":{\"dtype\":\"X9\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "'a'", "dtype");
        assertMessage(openError("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8), "'a'", "non-negative");
        assertMessage(openError("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8), "'a'", "outside");
        assertMessage(openError("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "'a'", "'b'", "overlap");
        assertMessage(openError("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "JSON");
        assertMessage(openError("[1,2]", 8), "object");
        assertMessage(openError("{\"a\":", 8), "JSON");
        assertMessage(openError("{\"__metadata__\":{\"k\":1}}", 0), "__metadata__");
        assertMessage(openError("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8),
                "'a'", "too");
        // header length larger than the file
        Path p = tmp.resolve("len.safetensors");
        Files.write(p, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
        assertMessage(assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(p)), "header length", "len.safetensors");
        Files.write(p, new byte[3]);
        assertMessage(assertThrows(SafetensorsException.class, () -> SafetensorsFile.open(p)), "8-byte");
    }

    private SafetensorsException openError(String header, int dataBytes) throws IOException {
        Path p = tmp.resolve("h.safetensors");
        Files.write(p, SafetensorsFuzzTest.file(header.getBytes(StandardCharsets.UTF_8), new byte[dataBytes]));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            return null;
        } catch (SafetensorsException e) {
            return e;
        }
    }

    private static void assertMessage(Exception e, String... parts) {
        assertNotNull(e, "expected an exception");
        for (String s : parts) {
            assertTrue(e.getMessage().contains(s), () -> "'" + e.getMessage() + "' lacks '" + s + "' " + Arrays.toString(parts));
        }
    }
}
