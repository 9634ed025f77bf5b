package org.clip4j.core.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file opened for reading (format: 8-byte little-endian header length N, N bytes of JSON header,
 * then the raw little-endian tensor bytes).
 *
 * <p>The whole header is validated when the file is opened: header length within the file and at most
 * {@value #MAX_HEADER_BYTES} bytes, well-formed UTF-8 JSON object without duplicate keys, known dtypes,
 * non-negative shapes, offsets inside the file, no two tensors overlapping, and dtype size × element count equal
 * to the byte length. Any violation throws {@link SafetensorsException} naming the file and the tensor; the
 * tensor data is only touched when asked for, through a read-only memory map (no copy of the file).
 *
 * <pre>{@code
 * try (SafetensorsFile f = SafetensorsFile.open(Path.of("model.safetensors"))) {
 *     float[] w = f.floats("visual.proj");       // F16/BF16/F64 are converted
 *     INDArray a = f.floatArray("visual.proj");  // FLOAT INDArray with the tensor's shape
 * }
 * }</pre>
 *
 * <p>Instances are safe for concurrent reads.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Upper bound on the JSON header (the reference implementation uses the same 100 MB limit). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
    }

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors; // file order
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
                            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and validates {@code path}; throws {@link SafetensorsException} if it is not a valid file. */
    public static SafetensorsFile open(Path path) {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new SafetensorsException(path + ": cannot open safetensors file: " + e, e);
        }
        try {
            return readHeader(path, ch);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            if (e instanceof SafetensorsException) throw e;
            throw new SafetensorsException(path + ": invalid safetensors file: " + e, e);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new SafetensorsException(path + ": cannot read safetensors header: " + e, e);
        }
    }

    private static SafetensorsFile readHeader(Path path, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new SafetensorsException(path + ": not a safetensors file: " + size
                    + " bytes, expected at least the 8-byte header length");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long n = lenBuf.getLong(0);
        if (n < 2 || n > MAX_HEADER_BYTES || n > size - 8) {
            throw new SafetensorsException(path + ": header length " + Long.toUnsignedString(n)
                    + " is invalid: expected 2.." + Math.min(MAX_HEADER_BYTES, size - 8)
                    + " (file has " + size + " bytes)");
        }
        ByteBuffer head = ByteBuffer.allocate((int) n);
        readFully(ch, head, 8);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(head.flip()).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(path + ": header is not valid UTF-8", e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(path + ": header is not well-formed JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SafetensorsException(path + ": header must be a JSON object");
        }
        long dataLen = size - 8 - n;
        Map<String, String> meta = new LinkedHashMap<>();
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                readMetadata(path, e.getValue(), meta);
            } else {
                infos.put(e.getKey(), readEntry(path, e.getKey(), e.getValue(), dataLen));
            }
        }
        checkNoOverlap(path, infos.values());
        return new SafetensorsFile(path, ch, 8 + n, Collections.unmodifiableMap(infos),
                Collections.unmodifiableMap(meta));
    }

    private static void readMetadata(Path path, JsonNode node, Map<String, String> meta) {
        if (!node.isObject()) {
            throw new SafetensorsException(path + ": __metadata__ must be an object of strings");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            if (!m.getValue().isTextual()) {
                throw new SafetensorsException(path + ": __metadata__ value of '" + m.getKey()
                        + "' must be a string, found " + m.getValue().getNodeType());
            }
            meta.put(m.getKey(), m.getValue().textValue());
        }
    }

    private static TensorInfo readEntry(Path path, String name, JsonNode node, long dataLen) {
        String where = path + ": tensor '" + name + "'";
        if (!node.isObject()) throw new SafetensorsException(where + ": header entry must be an object");
        JsonNode dt = node.get("dtype");
        if (dt == null || !dt.isTextual()) throw new SafetensorsException(where + ": missing string 'dtype'");
        DType dtype = DType.parse(dt.textValue());
        if (dtype == null) {
            throw new SafetensorsException(where + ": unsupported dtype '" + dt.textValue()
                    + "', expected one of F64, F32, F16, BF16, I64, I32, U8");
        }
        JsonNode sh = node.get("shape");
        if (sh == null || !sh.isArray()) throw new SafetensorsException(where + ": missing array 'shape'");
        long[] shape = new long[sh.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 0) {
                throw new SafetensorsException(where + ": shape " + sh + " must hold non-negative integers");
            }
            shape[i] = d.longValue();
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException e) {
                throw new SafetensorsException(where + ": shape " + sh + " has too many elements");
            }
        }
        JsonNode off = node.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2) {
            throw new SafetensorsException(where + ": 'data_offsets' must be [begin, end]");
        }
        for (JsonNode o : off) {
            if (!o.isIntegralNumber() || !o.canConvertToLong() || o.longValue() < 0) {
                throw new SafetensorsException(where + ": data_offsets " + off + " must be non-negative integers");
            }
        }
        long begin = off.get(0).longValue(), end = off.get(1).longValue();
        if (begin > end || end > dataLen) {
            throw new SafetensorsException(where + ": data_offsets " + off
                    + " outside the data section of " + dataLen + " bytes");
        }
        long expected;
        try {
            expected = Math.multiplyExact(numel, dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new SafetensorsException(where + ": shape " + sh + " is too large");
        }
        if (expected != end - begin) {
            throw new SafetensorsException(where + ": " + dtype + " " + sh + " needs " + expected
                    + " bytes but data_offsets " + off + " span " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static void checkNoOverlap(Path path, Iterable<TensorInfo> infos) {
        List<TensorInfo> sorted = new ArrayList<>();
        infos.forEach(sorted::add);
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        TensorInfo prev = null;
        for (TensorInfo t : sorted) {
            if (t.byteLength() == 0) continue; // empty tensors occupy no bytes
            if (prev != null && t.begin() < prev.end()) {
                throw new SafetensorsException(path + ": tensors '" + prev.name() + "' and '" + t.name()
                        + "' overlap (bytes " + prev.begin() + ".." + prev.end() + " and " + t.begin() + ".."
                        + t.end() + ")");
            }
            prev = t;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) throw new IOException("unexpected end of file");
            pos += r;
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    /** The file this was opened from. */
    public Path path() {
        return path;
    }

    /** The {@code __metadata__} string map (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names in header order. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    /** Every tensor's header entry, by name, in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** True if the file holds a tensor of this name. */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The header entry of {@code name}; throws {@link SafetensorsException} naming the file if it is absent. */
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new SafetensorsException(path + ": no tensor named '" + name + "' (the file has "
                    + tensors.size() + " tensors)");
        }
        return t;
    }

    /** The raw little-endian bytes of a tensor as a read-only buffer mapped from the file. */
    public ByteBuffer buffer(String name) {
        TensorInfo t = info(name);
        if (t.byteLength() > Integer.MAX_VALUE) {
            throw new SafetensorsException(path + ": tensor '" + name + "' has " + t.byteLength()
                    + " bytes, more than one buffer can map (2 GiB)");
        }
        if (t.byteLength() == 0) return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        try {
            MappedByteBuffer m = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), t.byteLength());
            return m.order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new SafetensorsException(path + ": cannot map tensor '" + name + "': " + e, e);
        }
    }

    /** A floating-point tensor's values as float (F16, BF16 and F64 converted; F64 rounds). */
    public float[] floats(String name) {
        TensorInfo t = info(name);
        ByteBuffer b = buffer(name);
        int n = numel(t);
        float[] out = new float[n];
        switch (t.dtype()) {
            case F32 -> b.asFloatBuffer().get(out);
            case F64 -> { for (int i = 0; i < n; i++) out[i] = (float) b.getDouble(8 * i); }
            case F16 -> { for (int i = 0; i < n; i++) out[i] = HalfFloats.halfToFloat(b.getShort(2 * i)); }
            case BF16 -> { for (int i = 0; i < n; i++) out[i] = HalfFloats.bf16ToFloat(b.getShort(2 * i)); }
            default -> throw wrongType(t, "a floating-point dtype (F32, F64, F16, BF16)");
        }
        return out;
    }

    /** A floating-point tensor's values as double. */
    public double[] doubles(String name) {
        TensorInfo t = info(name);
        if (t.dtype() == DType.F64) {
            double[] out = new double[numel(t)];
            buffer(name).asDoubleBuffer().get(out);
            return out;
        }
        float[] f = floats(name);
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) out[i] = f[i];
        return out;
    }

    /** An integer tensor's values as long (I64, I32, U8 unsigned). */
    public long[] longs(String name) {
        TensorInfo t = info(name);
        ByteBuffer b = buffer(name);
        int n = numel(t);
        long[] out = new long[n];
        switch (t.dtype()) {
            case I64 -> b.asLongBuffer().get(out);
            case I32 -> { for (int i = 0; i < n; i++) out[i] = b.getInt(4 * i); }
            case U8 -> { for (int i = 0; i < n; i++) out[i] = b.get(i) & 0xff; }
            default -> throw wrongType(t, "an integer dtype (I64, I32, U8)");
        }
        return out;
    }

    /** A U8 tensor's bytes (to be read unsigned: {@code b & 0xff}). */
    public byte[] bytes(String name) {
        TensorInfo t = info(name);
        if (t.dtype() != DType.U8) throw wrongType(t, "U8");
        byte[] out = new byte[numel(t)];
        buffer(name).get(out);
        return out;
    }

    /** A floating-point tensor as a FLOAT INDArray of its shape (F16/BF16 upcast, F64 rounded). */
    public INDArray floatArray(String name) {
        TensorInfo t = info(name);
        return Nd4j.create(floats(name), t.shape(), DataType.FLOAT);
    }

    /**
     * A tensor as an INDArray of its own type: F64 → DOUBLE, F32/F16/BF16 → FLOAT (half types upcast),
     * I64/I32/U8 → LONG.
     */
    public INDArray array(String name) {
        TensorInfo t = info(name);
        return switch (t.dtype()) {
            case F64 -> Nd4j.create(doubles(name), t.shape(), DataType.DOUBLE);
            case F32, F16, BF16 -> floatArray(name);
            case I64, I32, U8 -> Nd4j.createFromArray(longs(name)).reshape(t.shape());
        };
    }

    private int numel(TensorInfo t) {
        long n = t.numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new SafetensorsException(path + ": tensor '" + t.name() + "' has " + n
                    + " elements, more than a Java array holds");
        }
        return (int) n;
    }

    private SafetensorsException wrongType(TensorInfo t, String expected) {
        return new SafetensorsException(path + ": tensor '" + t.name() + "' is " + t.dtype() + ", expected "
                + expected);
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
    }
}
