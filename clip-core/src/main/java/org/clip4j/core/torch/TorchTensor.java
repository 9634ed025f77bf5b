package org.clip4j.core.torch;

import org.clip4j.core.safetensors.HalfFloats;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor of a PyTorch checkpoint: a view of a {@link TorchStorage} with a storage offset, a shape and strides
 * (in elements), as {@code torch._utils._rebuild_tensor_v2} describes it. Several tensors may share a storage
 * (slices of a packed weight, a transposed copy). The view is checked against its storage when it is built, so
 * reading it never leaves the storage; values are read lazily, in C order, from the mapped file.
 */
public final class TorchTensor {
    /** More dimensions than any real tensor has; a larger count is a damaged file. */
    static final int MAX_RANK = 64;

    private final String file;
    private final TorchStorage storage;
    private final long offset;
    private final long[] shape;
    private final long[] stride;
    private final long numel;
    private final long extent; // elements of the storage spanned: max index - offset + 1 (0 when empty)

    TorchTensor(String file, TorchStorage storage, long offset, long[] shape, long[] stride) {
        this.file = file;
        this.storage = storage;
        this.offset = offset;
        this.shape = shape.clone();
        this.stride = stride.clone();
        String where = file + ": tensor on storage '" + storage.key() + "' (shape " + Arrays.toString(shape)
                + ", strides " + Arrays.toString(stride) + ", offset " + offset + ")";
        if (shape.length != stride.length) throw new TorchFormatException(where + ": shape and strides differ in rank");
        if (shape.length > MAX_RANK) throw new TorchFormatException(where + ": more than " + MAX_RANK + " dimensions");
        if (offset < 0) throw new TorchFormatException(where + ": negative storage offset");
        long n = 1, span = 0;
        try {
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] < 0 || stride[i] < 0) throw new TorchFormatException(where + ": negative size or stride");
                n = Math.multiplyExact(n, shape[i]);
                if (shape[i] > 0) span = Math.addExact(span, Math.multiplyExact(shape[i] - 1, stride[i]));
            }
            this.numel = n;
            this.extent = n == 0 ? 0 : Math.addExact(span, 1);
            if (n > 0 && Math.addExact(offset, extent) > storage.numel()) {
                throw new TorchFormatException(where + ": the view reaches element " + (offset + extent - 1)
                        + " of a storage of " + storage.numel() + " elements");
            }
        } catch (ArithmeticException e) {
            throw new TorchFormatException(where + ": sizes overflow");
        }
        if (numel > storage.numel()) {
            // only broadcast (stride-0) views can have more elements than their storage; state dicts have none,
            // and refusing them bounds every allocation by the file's size
            throw new TorchFormatException(where + ": an expanded view with more elements (" + numel
                    + ") than its storage (" + storage.numel() + ") is not supported");
        }
    }

    /** Element type. */
    public TorchDType dtype() {
        return storage.dtype();
    }

    /** The shape ({@code []} for a scalar). */
    public long[] shape() {
        return shape.clone();
    }

    /** The strides in elements. */
    public long[] stride() {
        return stride.clone();
    }

    /** Offset of element [0, ..., 0] in the storage, in elements. */
    public long storageOffset() {
        return offset;
    }

    /** The key of the storage this tensor views (tensors with the same key share data). */
    public String storageKey() {
        return storage.key();
    }

    /** Number of elements (1 for a scalar). */
    public long numel() {
        return numel;
    }

    /** True when the elements are laid out in C order without gaps. */
    public boolean isContiguous() {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    private int count() {
        if (numel > Integer.MAX_VALUE - 8) {
            throw new TorchFormatException(file + ": tensor of " + numel + " elements is larger than a Java array");
        }
        return (int) numel;
    }

    /** Storage indices of the elements in C order, relative to the start of the mapped span. */
    private int[] gather() {
        int n = count();
        int[] idx = new int[n];
        int rank = shape.length;
        long[] pos = new long[rank];
        long at = 0;
        for (int k = 0; k < n; k++) {
            idx[k] = (int) at;
            for (int d = rank - 1; d >= 0; d--) { // odometer increment of the multi-index
                if (++pos[d] < shape[d]) {
                    at += stride[d];
                    break;
                }
                at -= (pos[d] - 1) * stride[d];
                pos[d] = 0;
            }
        }
        return idx;
    }

    /** The bytes of the spanned storage region; null indices mean contiguous. */
    private ByteBuffer span() {
        return storage.elements(offset, extent);
    }

    /**
     * The values of a floating-point tensor as float, in C order: F16 and BF16 widened exactly (as
     * {@code tensor.float()} does), F64 rounded.
     */
    public float[] floats() {
        int n = count();
        float[] out = new float[n];
        if (n == 0) return out;
        ByteBuffer b = span();
        int[] idx = isContiguous() ? null : gather();
        switch (dtype()) {
            case FLOAT -> {
                if (idx == null) b.asFloatBuffer().get(out);
                else for (int i = 0; i < n; i++) out[i] = b.getFloat(4 * idx[i]);
            }
            case HALF -> { for (int i = 0; i < n; i++) out[i] = HalfFloats.halfToFloat(b.getShort(2 * at(idx, i))); }
            case BFLOAT16 -> { for (int i = 0; i < n; i++) out[i] = HalfFloats.bf16ToFloat(b.getShort(2 * at(idx, i))); }
            case DOUBLE -> { for (int i = 0; i < n; i++) out[i] = (float) b.getDouble(8 * at(idx, i)); }
            default -> throw wrongType("a floating-point type");
        }
        return out;
    }

    /** The values of a floating-point tensor as double, in C order. */
    public double[] doubles() {
        if (dtype() == TorchDType.DOUBLE) {
            int n = count();
            double[] out = new double[n];
            if (n == 0) return out;
            ByteBuffer b = span();
            int[] idx = isContiguous() ? null : gather();
            for (int i = 0; i < n; i++) out[i] = b.getDouble(8 * at(idx, i));
            return out;
        }
        float[] f = floats();
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) out[i] = f[i];
        return out;
    }

    /** The values of an integer or bool tensor as long, in C order (uint8 unsigned, int8 signed). */
    public long[] longs() {
        int n = count();
        long[] out = new long[n];
        if (n == 0) return out;
        ByteBuffer b = span();
        int[] idx = isContiguous() ? null : gather();
        switch (dtype()) {
            case LONG -> { for (int i = 0; i < n; i++) out[i] = b.getLong(8 * at(idx, i)); }
            case INT -> { for (int i = 0; i < n; i++) out[i] = b.getInt(4 * at(idx, i)); }
            case SHORT -> { for (int i = 0; i < n; i++) out[i] = b.getShort(2 * at(idx, i)); }
            case BYTE, BOOL -> { for (int i = 0; i < n; i++) out[i] = b.get(at(idx, i)) & 0xff; }
            case CHAR -> { for (int i = 0; i < n; i++) out[i] = b.get(at(idx, i)); }
            default -> throw wrongType("an integer type");
        }
        return out;
    }

    /** The raw little-endian element bytes in C order (a copy), e.g. to write F16 weights unchanged. */
    public byte[] bytes() {
        int n = count();
        int es = dtype().byteSize();
        if ((long) n * es > Integer.MAX_VALUE - 8) {
            throw new TorchFormatException(file + ": tensor of " + n + " elements is larger than a Java array");
        }
        byte[] out = new byte[n * es];
        if (n == 0) return out;
        ByteBuffer b = span();
        if (isContiguous()) {
            b.get(0, out);
            return out;
        }
        int[] idx = gather();
        ByteBuffer o = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) for (int j = 0; j < es; j++) o.put(i * es + j, b.get(idx[i] * es + j));
        return out;
    }

    private static int at(int[] idx, int i) {
        return idx == null ? i : idx[i];
    }

    private TorchFormatException wrongType(String expected) {
        return new TorchFormatException(file + ": tensor on storage '" + storage.key() + "' is " + dtype()
                + ", expected " + expected);
    }

    @Override
    public String toString() {
        return dtype() + Arrays.toString(shape);
    }
}
