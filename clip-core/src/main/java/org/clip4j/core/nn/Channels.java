package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.api.ops.impl.transforms.same.Square;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-channel helpers for dense [N, C, H, W] tensors in either layout ({@link Tensors#dense}):
 * <ul>
 *   <li>C-contiguous: through the [N·C, H·W] view, every row one (sample, channel) plane, with a [N·C, 1]
 *       column of per-channel values repeated N times. ND4J's broadcast along dimension 1 of the 4-D array
 *       instead walks strided channel vectors and measured about 2× slower.</li>
 *   <li>Channels last: through the [N·H·W, C] view, every column one channel: row-vector operations, and
 *       column sums as a product with a row of ones (ND4J's reduction along dimension 0 walks strided columns).</li>
 * </ul>
 */
final class Channels {
    private Channels() {
    }

    /** The 2-D view: [N·C, H·W] for a C-contiguous x, [N·H·W, C] for a channels-last one. Never release it. */
    static INDArray matrix(INDArray x) {
        INDArray d = Tensors.dense(x);
        long n = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3);
        return d == x ? x.reshape('c', n * c, hw) : d.reshape('c', n * hw, c);
    }

    /** New [N·C, 1]: the [C] vector {@code v} repeated for each of the n samples. */
    static INDArray column(INDArray v, long n) {
        INDArray col = Nd4j.create(v.dataType(), n * v.length(), 1);
        col.reshape('c', n, v.length()).addiRowVector(v.reshape(1, v.length())); // fills col through a view
        return col;
    }

    /** New [C]: Σ over N, H, W of {@code x} [N, C, H, W]. */
    static INDArray sum(INDArray x) {
        if (Tensors.isChannelsLast(x)) return columnSums(matrix(x));
        return x.sum(0, 2, 3); // as fast as summing planes, and one op (each op leaves small buffers to the GC)
    }

    /** New [C]: Σ over N, H, W of {@code a · b} (same shape and layout). */
    static INDArray dot(INDArray a, INDArray b) {
        if (!Tensors.sameLayout(a, b)) throw new IllegalArgumentException("layouts differ");
        if (Tensors.isChannelsLast(a)) {
            INDArray prod = BufferPool.create(a.dataType(), a.size(0) * a.size(2) * a.size(3), a.size(1)); // [N·H·W, C]
            matrix(a).mul(matrix(b), prod);
            INDArray s = columnSums(prod);
            Tensors.release(prod);
            return s;
        }
        INDArray rows = Nd4j.getExecutioner().exec(new Dot(matrix(a), matrix(b), 1)); // [N·C], no a·b array
        INDArray s = rows.reshape('c', a.size(0), a.size(1)).sum(0);
        Tensors.release(rows);
        return s;
    }

    /**
     * New [C] arrays {mean, biased variance} over N, H, W of a channels-last x, in two passes (the variance of
     * the centred values, not E[x²] − mean², which loses digits when |mean| ≫ std): column sums as BLAS
     * products, every element-wise step on the dense [N·H·W, C] matrix.
     */
    static INDArray[] meanAndVariance(INDArray x) {
        if (!Tensors.isChannelsLast(x)) throw new IllegalArgumentException("expected a channels-last array");
        INDArray m = matrix(x);                                                    // [R, C]
        double r = m.size(0);
        INDArray mean = columnSums(m).divi(r);                                     // [C]
        INDArray centred = BufferPool.create(m.dataType(), m.size(0), m.size(1)); // [R, C]
        Nd4j.exec(new BroadcastSubOp(m, mean, centred, 1));                        // x − mean, one pass
        Nd4j.exec(new Square(centred, centred));                                   // (x·x in place is 4× slower)
        INDArray var = columnSums(centred).divi(r);
        Tensors.release(centred);
        return new INDArray[] {mean, var};
    }

    /** {@code x[n, c, h, w] ·= v[c]} in place; returns x. */
    static INDArray mulInPlace(INDArray x, INDArray v) {
        INDArray m = matrix(x);
        if (Tensors.isChannelsLast(x)) {
            m.muliRowVector(v.reshape(1, v.length()));
        } else {
            INDArray col = column(v, x.size(0));
            m.muliColumnVector(col);
            Tensors.release(col);
        }
        return x;
    }

    /** {@code x[n, c, h, w] += v[c]} in place; returns x. */
    static INDArray addInPlace(INDArray x, INDArray v) {
        INDArray m = matrix(x);
        if (Tensors.isChannelsLast(x)) {
            m.addiRowVector(v.reshape(1, v.length()));
        } else {
            INDArray col = column(v, x.size(0));
            m.addiColumnVector(col);
            Tensors.release(col);
        }
        return x;
    }

    /** New {@code x · v} per channel, in x's layout (one pass for a channels-last x). */
    static INDArray mul(INDArray x, INDArray v) {
        if (!Tensors.isChannelsLast(x)) return mulInPlace(Tensors.copy4(x), v);
        INDArray y = Tensors.create4(x.dataType(), true, x.size(0), x.size(1), x.size(2), x.size(3));
        Nd4j.exec(new BroadcastMulOp(matrix(x), v, matrix(y), 1));
        return y;
    }

    /**
     * New [C]: the column sums of a C-ordered [R, C] matrix, as the product of a row of R ones with it (one BLAS
     * call straight into the result; {@code mmul} would allocate and copy around it).
     */
    private static INDArray columnSums(INDArray m) {
        INDArray ones = BufferPool.create(m.dataType(), 1, m.size(0));
        ones.assign(1);
        INDArray out = Nd4j.create(m.dataType(), m.size(1));                    // [C], owned
        Nd4j.gemm(ones, m, out.reshape(1, m.size(1)), false, false, 1.0, 0.0);
        Tensors.release(ones);
        return out;
    }
}
