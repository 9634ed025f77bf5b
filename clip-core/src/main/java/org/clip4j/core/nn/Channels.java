package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce3.Dot;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-channel helpers for C-contiguous NCHW tensors, through their [N·C, H·W] row view: every row is one
 * (sample, channel) plane, so per-channel work is a contiguous row operation with a [N·C, 1] column of
 * per-channel values repeated N times. ND4J's broadcast along dimension 1 of the 4-D array instead walks
 * strided channel vectors and measured about 2× slower.
 */
final class Channels {
    private Channels() {
    }

    /** The [N·C, H·W] view of a C-contiguous [N, C, H, W] tensor. */
    static INDArray planes(INDArray x) {
        if (!Tensors.isRowMajorContiguous(x)) throw new IllegalArgumentException("expected a C-contiguous tensor");
        return x.reshape('c', x.size(0) * x.size(1), x.size(2) * x.size(3));
    }

    /** New [N·C, 1]: the [C] vector {@code v} repeated for each of the n samples. */
    static INDArray column(INDArray v, long n) {
        INDArray col = Nd4j.create(v.dataType(), n * v.length(), 1);
        col.reshape('c', n, v.length()).addiRowVector(v.reshape(1, v.length())); // fills col through a view
        return col;
    }

    /** New [C]: Σ over N, H, W of {@code x} [N, C, H, W] (C-contiguous). */
    static INDArray sum(INDArray x) {
        INDArray rows = planes(x).sum(1); // [N·C]
        INDArray s = rows.reshape('c', x.size(0), x.size(1)).sum(0);
        Tensors.release(rows);
        return s;
    }

    /** New [C]: Σ over N, H, W of {@code a · b} (both [N, C, H, W], C-contiguous), without materialising a·b. */
    static INDArray dot(INDArray a, INDArray b) {
        INDArray rows = Nd4j.getExecutioner().exec(new Dot(planes(a), planes(b), 1)); // [N·C]
        INDArray s = rows.reshape('c', a.size(0), a.size(1)).sum(0);
        Tensors.release(rows);
        return s;
    }
}
