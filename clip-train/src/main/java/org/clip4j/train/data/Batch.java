package org.clip4j.train.data;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One training batch: {@code images [n, 3, R, R]} and {@code ids [n, C]} (owned: {@link #close()}), the source
 * indices they came from, their stream positions (which seed their augmentation), and the stream position just
 * after them (for exact resume).
 */
public record Batch(INDArray images, INDArray ids, long[] indices, long[] positions, long positionAfter, int skipped)
        implements AutoCloseable {
    public int size() {
        return indices.length;
    }

    @Override
    public void close() {
        images.close();
        ids.close();
    }
}
