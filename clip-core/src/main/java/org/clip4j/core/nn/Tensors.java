package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Small array helpers shared by the layers: deterministic release and 2-D views of row-major tensors. */
public final class Tensors {
    private Tensors() {
    }

    /**
     * Closes arrays this code owns. Nulls, views and already closed arrays are skipped (closing a view would be
     * a no-op anyway). Never pass a {@code transpose()}/{@code permute()} result: those share the buffer of
     * their source and are closeable.
     */
    public static void release(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a != null && !a.wasClosed() && a.closeable()) a.close();
        }
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
