package org.clip4j.train.dist;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Arrays;

/** Checks and helpers shared by the {@link Collectives} implementations. */
final class Contiguous {
    private Contiguous() {
    }

    /** Throws unless {@code a} is a dense C-order array (a view of whole rows, with an offset, is fine). */
    static void check(INDArray a, String what) {
        if (a == null) throw new IllegalArgumentException(what + ": null");
        if (a.isEmpty()) throw new IllegalArgumentException(what + ": empty array");
        if (a.ordering() != 'c' || !isDense(a)) {
            throw new IllegalArgumentException(what + ": expected a dense C-order array, got " + a.ordering()
                    + "-order " + Arrays.toString(a.shape()) + " with strides " + Arrays.toString(a.stride()));
        }
    }

    /** True when the C-order strides of {@code a} are those of a dense array of its shape. */
    static boolean isDense(INDArray a) {
        long expect = 1;
        long[] shape = a.shape(), stride = a.stride();
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expect) return false;
            expect *= shape[i];
        }
        return true;
    }

    static void checkReducible(INDArray a) {
        check(a, "reduction");
        if (a.dataType() != DataType.FLOAT && a.dataType() != DataType.DOUBLE) {
            throw new IllegalArgumentException("sums are over FLOAT or DOUBLE arrays, got " + a.dataType());
        }
    }

    /** Rows per rank of {@code full [size·n, …]}; throws if the first dimension does not divide. */
    static long rowsPerRank(INDArray full, int size) {
        if (full.rank() < 1 || full.size(0) % size != 0) {
            throw new IllegalArgumentException("reduce-scatter of " + Arrays.toString(full.shape()) + " over " + size
                    + " ranks: the first dimension must be a multiple of the rank count");
        }
        return full.size(0) / size;
    }

    /** Rows [from, to) of {@code a} as a view. */
    static INDArray rows(INDArray a, long from, long to) {
        return a.get(rowsIndex(a, from, to));
    }

    /** The index of rows [from, to) of {@code a}. */
    static INDArrayIndex[] rowsIndex(INDArray a, long from, long to) {
        INDArrayIndex[] idx = new INDArrayIndex[a.rank()];
        idx[0] = NDArrayIndex.interval(from, to);
        for (int i = 1; i < idx.length; i++) idx[i] = NDArrayIndex.all();
        return idx;
    }
}
