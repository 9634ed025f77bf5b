package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Broadcast;

/** Per-channel helpers for NCHW tensors: a [C] vector broadcast along dimension 1, and sums over N, H, W. */
final class Channels {
    private Channels() {
    }

    /** New [C]: Σ over N, H, W of {@code x} [N, C, H, W]. */
    static INDArray sum(INDArray x) {
        return x.sum(0, 2, 3);
    }

    /** {@code x[n, c, h, w] *= v[c]}, in place; returns x. */
    static INDArray mul(INDArray x, INDArray v) {
        return Broadcast.mul(x, v, x, 1);
    }

    /** {@code x[n, c, h, w] += v[c]}, in place; returns x. */
    static INDArray add(INDArray x, INDArray v) {
        return Broadcast.add(x, v, x, 1);
    }

    /** {@code x[n, c, h, w] -= v[c]}, in place; returns x. */
    static INDArray sub(INDArray x, INDArray v) {
        return Broadcast.sub(x, v, x, 1);
    }
}
