package org.clip4j.eval.probe;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A feature set as a DOUBLE matrix {@code [n, d + 1]} whose last column is ones (the intercept's input), with its
 * labels: what the logistic regression is fitted on and scored with. Owns native memory: close it.
 */
public final class DesignMatrix implements AutoCloseable {
    private final INDArray x;   // [n, d + 1]
    private final int[] labels;
    private final int n, d;

    /** Copies {@code set} into native memory in double precision. */
    public DesignMatrix(FeatureSet set) {
        this.n = set.n();
        this.d = set.d();
        this.labels = set.labels().clone();
        double[] v = new double[n * (d + 1)];
        float[] f = set.features();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) v[i * (d + 1) + j] = f[i * d + j];
            v[i * (d + 1) + d] = 1.0;
        }
        this.x = Nd4j.create(v, new long[]{n, d + 1}, DataType.DOUBLE); // [n, d + 1], C order
    }

    /** The matrix {@code [n, d + 1]} (live; do not close). */
    public INDArray x() {
        return x;
    }

    /** Class index of each row (live; do not modify). */
    int[] labelsView() {
        return labels;
    }

    /** A copy of the labels. */
    public int[] labels() {
        return labels.clone();
    }

    /** Rows. */
    public int n() {
        return n;
    }

    /** Feature width (without the ones column). */
    public int d() {
        return d;
    }

    @Override
    public void close() {
        x.close();
    }
}
