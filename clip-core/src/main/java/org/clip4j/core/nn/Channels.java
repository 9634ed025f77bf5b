package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;

/** Per-channel helpers for NCHW tensors: a [C] vector broadcast along dimension 1, and sums over N, H, W. */
final class Channels {
    private Channels() {
    }

    /** New [C]: Σ over N, H, W of {@code x} [N, C, H, W]. */
    static INDArray sum(INDArray x) {
        return x.sum(0, 2, 3);
    }

    /** New {@code x[n, c, h, w] · v[c]} in one pass. */
    static INDArray scaled(INDArray x, INDArray v) {
        INDArray out = Nd4j.create(x.dataType(), x.shape());
        return Broadcast.mul(x, v, out, 1);
    }

    /** {@code x[n, c, h, w] += v[c]}, in place; returns x. */
    static INDArray add(INDArray x, INDArray v) {
        return Broadcast.add(x, v, x, 1);
    }
}
