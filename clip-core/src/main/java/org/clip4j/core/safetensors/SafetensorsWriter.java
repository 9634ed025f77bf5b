package org.clip4j.core.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.clip4j.core.io.AtomicFile;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Collects tensors and writes one safetensors file. The file is written to a temporary file in the same folder
 * and then renamed over the target, so a reader never sees a partial file and a crash never destroys the
 * previous one.
 *
 * <pre>{@code
 * new SafetensorsWriter()
 *     .metadata("format", "pt")
 *     .putFloats("pixel_values", new long[]{n, 3, 224, 224}, data)
 *     .write(Path.of("out.safetensors"));
 * }</pre>
 *
 * Tensors are written in the order they were added. Not thread-safe.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Entry(DType dtype, long[] shape, byte[] data) {
    }

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Adds one {@code __metadata__} string entry. */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Adds every entry of {@code map} to {@code __metadata__}. */
    public SafetensorsWriter metadata(Map<String, String> map) {
        metadata.putAll(map);
        return this;
    }

    /** Adds a tensor from its raw little-endian bytes. */
    public SafetensorsWriter putRaw(String name, DType dtype, long[] shape, byte[] littleEndian) {
        if (name.equals("__metadata__")) throw new IllegalArgumentException("'__metadata__' is not a tensor name");
        if (entries.containsKey(name)) throw new IllegalArgumentException("tensor '" + name + "' added twice");
        long numel = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape");
            numel = Math.multiplyExact(numel, d);
        }
        if (numel * dtype.byteSize() != littleEndian.length) {
            throw new IllegalArgumentException("tensor '" + name + "': " + dtype + " shape of " + numel
                    + " elements needs " + numel * dtype.byteSize() + " bytes, got " + littleEndian.length);
        }
        entries.put(name, new Entry(dtype, shape.clone(), littleEndian));
        return this;
    }

    /** Adds float values as F32, or converted to F16/BF16 (round to nearest even) or F64. */
    public SafetensorsWriter putFloats(String name, DType dtype, long[] shape, float[] values) {
        ByteBuffer b = le(values.length * (long) dtype.byteSize());
        switch (dtype) {
            case F32 -> b.asFloatBuffer().put(values);
            case F64 -> { for (float v : values) b.putDouble(v); }
            case F16 -> { for (float v : values) b.putShort(HalfFloats.floatToHalf(v)); }
            case BF16 -> { for (float v : values) b.putShort(HalfFloats.floatToBf16(v)); }
            default -> throw new IllegalArgumentException("tensor '" + name + "': " + dtype + " is not a float type");
        }
        return putRaw(name, dtype, shape, b.array());
    }

    /** Adds float values as F32. */
    public SafetensorsWriter putFloats(String name, long[] shape, float[] values) {
        return putFloats(name, DType.F32, shape, values);
    }

    /** Adds double values as F64. */
    public SafetensorsWriter putDoubles(String name, long[] shape, double[] values) {
        ByteBuffer b = le(values.length * 8L);
        b.asDoubleBuffer().put(values);
        return putRaw(name, DType.F64, shape, b.array());
    }

    /** Adds integer values as I64, I32 or U8 (values must fit the type). */
    public SafetensorsWriter putLongs(String name, DType dtype, long[] shape, long[] values) {
        ByteBuffer b = le(values.length * (long) dtype.byteSize());
        for (long v : values) {
            switch (dtype) {
                case I64 -> b.putLong(v);
                case I32 -> b.putInt(Math.toIntExact(v));
                case U8 -> {
                    if (v < 0 || v > 255) throw new IllegalArgumentException("tensor '" + name + "': " + v + " is not a U8");
                    b.put((byte) v);
                }
                default -> throw new IllegalArgumentException("tensor '" + name + "': " + dtype + " is not an integer type");
            }
        }
        return putRaw(name, dtype, shape, b.array());
    }

    /** Adds U8 bytes. */
    public SafetensorsWriter putBytes(String name, long[] shape, byte[] values) {
        return putRaw(name, DType.U8, shape, values.clone());
    }

    /**
     * Adds an INDArray: DOUBLE → F64, FLOAT → F32, HALF → F16, BFLOAT16 → BF16, LONG → I64, INT → I32,
     * UBYTE → U8. The array is read in C order; it is not modified.
     */
    public SafetensorsWriter put(String name, INDArray array) {
        long[] shape = array.shape();
        DataType t = array.dataType();
        return switch (t) {
            case DOUBLE -> putDoubles(name, shape, copyOut(array, DataType.DOUBLE, DataBuffer::asDouble));
            case FLOAT -> putFloats(name, DType.F32, shape, copyOut(array, DataType.FLOAT, DataBuffer::asFloat));
            case HALF -> putFloats(name, DType.F16, shape, copyOut(array, DataType.FLOAT, DataBuffer::asFloat));
            case BFLOAT16 -> putFloats(name, DType.BF16, shape, copyOut(array, DataType.FLOAT, DataBuffer::asFloat));
            case LONG -> putLongs(name, DType.I64, shape, copyOut(array, DataType.LONG, DataBuffer::asLong));
            case INT -> putLongs(name, DType.I32, shape, copyOut(array, DataType.INT, DataBuffer::asLong));
            case UBYTE -> putLongs(name, DType.U8, shape, copyOut(array, DataType.UBYTE, DataBuffer::asLong));
            default -> throw new IllegalArgumentException("tensor '" + name + "': INDArray type " + t
                    + " has no safetensors dtype here");
        };
    }

    /**
     * The values of {@code a} in C order, read through a dense native copy in {@code type} that is closed at once
     * (the copy, not the garbage collector, would otherwise hold one native buffer per tensor until a GC).
     */
    private static <T> T copyOut(INDArray a, DataType type, java.util.function.Function<DataBuffer, T> read) {
        INDArray cast = a.dataType() == type ? a : a.castTo(type);
        INDArray dense = cast.dup('c');
        try {
            return read.apply(dense.data());
        } finally {
            dense.close();
            if (cast != a) cast.close();
        }
    }

    /** Number of tensors added so far. */
    public int size() {
        return entries.size();
    }

    /**
     * Writes the file atomically through {@link AtomicFile} (temporary file in the same folder, flushed to the
     * device, then renamed over the target). The file gets the usual permissions of a new file (the umask
     * applies); on failure (a full disk, say) the temporary file is removed and the target is untouched.
     */
    public void write(Path target) throws IOException {
        byte[] header = header();
        AtomicFile.write(target, AtomicFile.IfExists.REPLACE, out -> {
            out.write(le(8).putLong(header.length).array());
            out.write(header);
            for (Entry e : entries.values()) out.write(e.data());
        });
    }

    /** The JSON header, padded with spaces to a multiple of 8 bytes so that the data is 8-byte aligned. */
    private byte[] header() {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            ObjectNode t = root.putObject(e.getKey());
            t.put("dtype", e.getValue().dtype().name());
            ArrayNode s = t.putArray("shape");
            for (long d : e.getValue().shape()) s.add(d);
            ArrayNode o = t.putArray("data_offsets");
            o.add(offset);
            offset += e.getValue().data().length;
            o.add(offset);
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = new byte[padded];
        System.arraycopy(json, 0, out, 0, json.length);
        for (int i = json.length; i < padded; i++) out[i] = ' ';
        return out;
    }

    private static ByteBuffer le(long bytes) {
        return ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
    }
}
