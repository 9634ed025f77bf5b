package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-channel helpers for dense [N, C, H, W] tensors in either layout ({@link Tensors#dense}):
 * <ul>
 *   <li>C-contiguous: through the [N·C, H·W] view, every row one (sample, channel) plane, with a [N·C, 1]
 *       column of per-channel values repeated N times. ND4J's broadcast along dimension 1 of the 4-D array
 *       instead walks strided channel vectors and measured about 2× slower.</li>
 *   <li>Channels last: through the [N·H·W, C] view, every column one channel: row-vector operations.</li>
 * </ul>
 * Per-channel sums (BatchNorm statistics and gradients) are {@link ChannelSums}, accumulated in double.
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

    /** New [N·C, 1], tracked by {@code s}: the [C] vector {@code v} repeated for each of the n samples. */
    static INDArray column(Scope s, INDArray v, long n) {
        INDArray col = s.track(Nd4j.create(v.dataType(), n * v.length(), 1));
        col.reshape('c', n, v.length()).addiRowVector(v.reshape(1, v.length())); // fills col through a view
        return col;
    }

    /** {@code x[n, c, h, w] ·= v[c]} in place; returns x. */
    static INDArray mulInPlace(INDArray x, INDArray v) {
        INDArray m = matrix(x);
        if (Tensors.isChannelsLast(x)) {
            m.muliRowVector(v.reshape(1, v.length()));
            return x;
        }
        try (Scope s = Scope.open()) {
            m.muliColumnVector(column(s, v, x.size(0)));
        }
        return x;
    }

    /** {@code x[n, c, h, w] += v[c]} in place; returns x. */
    static INDArray addInPlace(INDArray x, INDArray v) {
        INDArray m = matrix(x);
        if (Tensors.isChannelsLast(x)) {
            m.addiRowVector(v.reshape(1, v.length()));
            return x;
        }
        try (Scope s = Scope.open()) {
            m.addiColumnVector(column(s, v, x.size(0)));
        }
        return x;
    }

    /** New {@code x · v} per channel, in x's layout (one pass for a channels-last x); owned by the caller. */
    static INDArray mul(INDArray x, INDArray v) {
        try (Scope s = Scope.open()) {
            if (!Tensors.isChannelsLast(x)) return s.ret(mulInPlace(s.track(Tensors.copy4(x)), v));
            INDArray y = s.track(Tensors.create4(x.dataType(), true, x.size(0), x.size(1), x.size(2), x.size(3)));
            Nd4j.exec(new BroadcastMulOp(matrix(x), v, matrix(y), 1));
            return s.ret(y);
        }
    }
}
