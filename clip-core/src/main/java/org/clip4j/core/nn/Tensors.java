package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Small array helpers shared by the layers: deterministic release and 2-D views of row-major tensors. */
public final class Tensors {
    private Tensors() {
    }

    /**
     * Releases arrays the caller owns outside any {@link Scope} (inside one, use {@link Scope#release} or let the
     * scope close): a pooled buffer goes back to the {@link BufferPool}, any other array is closed. Nulls and
     * empty arrays (no buffer) are skipped. Release exactly what you own, once, through the array you were given
     * (which may itself be the view that stands for a pooled buffer, as {@link #create4} returns); never a view
     * you made of something.
     * {@link Memcheck} reports releases of closed, borrowed or scope-owned arrays.
     */
    public static void release(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a == null || a.isEmpty()) continue; // an empty array (Nd4j.empty) has no buffer to free
            if (Memcheck.ENABLED) Memcheck.releasingDirectly(a);
            free(a);
        }
    }

    /** The one place that frees: pool or close (a closed array is skipped, and reported by {@link Memcheck}). */
    static void free(INDArray a) {
        if (Memcheck.ENABLED) Memcheck.freeing(a);
        if (a.wasClosed() || BufferPool.recycle(a)) return;
        if (a.closeable()) a.close();
    }

    /**
     * A {@code [rows, last]} view of a C-contiguous tensor of any rank (shape {@code [..., last]}). The view
     * shares the buffer: writing to it writes the tensor, and it must not be released.
     */
    public static INDArray rows(INDArray x) {
        if (!isRowMajorContiguous(x)) {
            throw new IllegalArgumentException("expected a C-contiguous array, got shape " + java.util.Arrays.toString(x.shape()) + " ordering " + x.ordering()
                    + " strides " + java.util.Arrays.toString(x.stride()));
        }
        long last = x.size(x.rank() - 1);
        return x.rank() == 2 ? x : x.reshape('c', x.length() / last, last);
    }

    /** True if {@code x} is laid out densely in C order (strides of its shape, whatever its offset). */
    public static boolean isRowMajorContiguous(INDArray x) {
        long[] shape = x.shape(), stride = x.stride();
        long expect = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expect) return false;
            expect *= shape[i];
        }
        return true;
    }

    /**
     * True if the rank-4 {@code x} (logically [N, C, H, W]) is laid out densely in NHWC order ("channels last"):
     * a {@code permute(0, 3, 1, 2)} view of a C-contiguous [N, H, W, C] array. oneDNN's convolutions work in this
     * layout, so the ResNet keeps its activations in it and saves a transposing copy before and after every
     * convolution. False for a C-contiguous array, even where both layouts coincide (C = 1 or H = W = 1).
     */
    public static boolean isChannelsLast(INDArray x) {
        if (x.rank() != 4 || isRowMajorContiguous(x)) return false;
        long[] s = x.shape(), st = x.stride();
        return (s[1] == 1 || st[1] == 1) && (s[3] == 1 || st[3] == s[1]) && (s[2] == 1 || st[2] == s[3] * s[1])
                && (s[0] == 1 || st[0] == s[2] * s[3] * s[1]);
    }

    /**
     * The C-contiguous array over the same memory as {@code x}, for element-wise work at full speed: x itself
     * if it is C-contiguous, the [N, H, W, C] view if it is {@linkplain #isChannelsLast channels last}. Two arrays
     * may be combined element by element through their dense views only if they have the same layout. The view
     * shares x's buffer: never release it. Throws for other layouts.
     */
    public static INDArray dense(INDArray x) {
        if (isRowMajorContiguous(x)) return x;
        if (isChannelsLast(x)) return x.permute(0, 2, 3, 1);
        throw new IllegalArgumentException("neither C-contiguous nor channels last: shape "
                + java.util.Arrays.toString(x.shape()) + " strides " + java.util.Arrays.toString(x.stride()));
    }

    /** True if {@code a} and {@code b} have the same shape and the same dense layout (both NCHW or both NHWC). */
    public static boolean sameLayout(INDArray a, INDArray b) {
        return java.util.Arrays.equals(a.shape(), b.shape())
                && (isRowMajorContiguous(a) ? isRowMajorContiguous(b) : isChannelsLast(a) && isChannelsLast(b));
    }

    /**
     * A new [n, c, h, w] array with <em>undefined contents</em> from the {@link BufferPool}, channels last
     * ({@code permute(0, 3, 1, 2)} of a new [n, h, w, c]; releasing it releases that buffer) or C-contiguous.
     * Release it with {@link #release}.
     */
    public static INDArray create4(DataType type, boolean channelsLast, long n, long c, long h, long w) {
        return channelsLast ? BufferPool.create(type, n, h, w, c).permute(0, 3, 1, 2) : BufferPool.create(type, n, c, h, w);
    }

    /**
     * A new copy of the rank-4 {@code x}: channels last if x is, else C-contiguous (from the {@link BufferPool};
     * release it with {@link #release}).
     */
    public static INDArray copy4(INDArray x) {
        boolean last = isChannelsLast(x);
        INDArray y = create4(x.dataType(), last, x.size(0), x.size(1), x.size(2), x.size(3));
        if (last) dense(y).assign(dense(x));
        else y.assign(x);
        return y;
    }

    /** A new channels-last copy of the rank-4 {@code x} (any layout). */
    public static INDArray toChannelsLast(INDArray x) {
        INDArray y = create4(x.dataType(), true, x.size(0), x.size(1), x.size(2), x.size(3));
        y.permute(0, 2, 3, 1).assign(x.permute(0, 2, 3, 1)); // dense target
        return y;
    }

    /** A new copy of {@code x} in the layout of {@code like}: channels last if like is, else C-contiguous. */
    public static INDArray copy4Like(INDArray x, INDArray like) {
        boolean last = isChannelsLast(like);
        if (last) return toChannelsLast(x);
        INDArray y = create4(x.dataType(), false, x.size(0), x.size(1), x.size(2), x.size(3));
        y.assign(x);
        return y;
    }

    /**
     * {@code a += b} for rank-4 arrays, through their dense views when the layouts match (otherwise ND4J's
     * strided path, correct but several times slower). Returns a.
     */
    public static INDArray addInPlace(INDArray a, INDArray b) {
        if (sameLayout(a, b)) dense(a).addi(dense(b));
        else a.addi(b);
        return a;
    }

    /**
     * A new array of shape {@code x.shape()[1:]}: the sum over the first dimension (a bias or embedding gradient).
     * Unlike {@code x.sum(0)}, it leaves no hidden native copy behind when that dimension has size 1 (ND4J then
     * returns a view of a copy nobody owns). The caller owns the result.
     */
    public static INDArray sumFirst(INDArray x) {
        long[] rest = java.util.Arrays.copyOfRange(x.shape(), 1, x.rank());
        INDArray out = Nd4j.create(x.dataType(), rest);
        if (x.size(0) == 1) out.assign(x.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0)));
        else Nd4j.exec(new org.nd4j.linalg.api.ops.impl.reduce.same.Sum(x, out, 0));
        return out;
    }

    /** The shape of {@code x} with its last dimension replaced by {@code last}. */
    public static long[] withLast(INDArray x, long last) {
        long[] s = x.shape().clone(); // shape() may return the array's own cached shape: never modify it
        s[s.length - 1] = last;
        return s;
    }

    /** The floating type computations of {@code x} run in: at least FLOAT (half types are upcast). */
    public static DataType computeType(INDArray x) {
        return x.dataType() == DataType.DOUBLE ? DataType.DOUBLE : DataType.FLOAT;
    }
}
