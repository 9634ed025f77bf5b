package org.clip4j.eval.probe;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The L2-regularised multinomial logistic-regression objective, in double precision:
 * <pre>
 *   f(W, b) = (1/n)·Σᵢ CEᵢ + ‖W‖² / (2·C·n),   CEᵢ = logsumexp(zᵢ) − zᵢ,yᵢ,   zᵢ = W·xᵢ + b
 * </pre>
 * which is scikit-learn's {@code C·Σ CEᵢ + ½‖W‖²} divided by {@code C·n} (same minimiser, O(1) values); the
 * intercept {@code b} is not penalised. Parameters are one vector, row-major {@code [K, d + 1]} with each class's
 * intercept in its last column. The design matrix is borrowed; the work buffers are owned (close them).
 */
final class SoftmaxObjective implements AutoCloseable {
    private final DesignMatrix data;
    private final int n, d1, k;
    private final double c;
    private final INDArray w;       // [K, d + 1]
    private final INDArray logits;  // [n, K]
    private final INDArray dLogits; // [n, K]
    private final INDArray grad;    // [K, d + 1]
    private int evaluations;

    SoftmaxObjective(DesignMatrix data, int numClasses, double c) {
        if (!(c > 0) || Double.isInfinite(c)) throw new IllegalArgumentException("C = " + c + ": expected a finite C > 0");
        for (int i = 0; i < data.n(); i++) {
            int y = data.labelsView()[i];
            if (y >= numClasses) throw new IllegalArgumentException("label " + y + " of row " + i + " >= " + numClasses + " classes");
        }
        this.data = data;
        this.n = data.n();
        this.d1 = data.d() + 1;
        this.k = numClasses;
        this.c = c;
        this.w = Nd4j.create(DataType.DOUBLE, k, d1);
        this.logits = Nd4j.create(DataType.DOUBLE, n, k);
        this.dLogits = Nd4j.create(DataType.DOUBLE, n, k);
        this.grad = Nd4j.create(DataType.DOUBLE, k, d1);
    }

    /** Number of parameters, {@code K·(d + 1)}. */
    int dimension() {
        return k * d1;
    }

    /** Objective evaluations so far. */
    int evaluations() {
        return evaluations;
    }

    /** f at {@code params}; writes ∇f into {@code gradOut} (both of length {@link #dimension()}). */
    double evaluate(double[] params, double[] gradOut) {
        evaluations++;
        w.data().setData(params);
        Nd4j.gemm(data.x(), w, logits, false, true, 1.0, 0.0);        // z = X·Wᵀ, [n, K]
        double[] z = logits.data().asDouble();
        int[] y = data.labelsView();
        double ce = 0;
        for (int i = 0; i < n; i++) {
            int o = i * k;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) max = Math.max(max, z[o + j]);
            double sum = 0;
            for (int j = 0; j < k; j++) sum += Math.exp(z[o + j] - max);
            double lse = max + Math.log(sum);
            ce += lse - z[o + y[i]];
            for (int j = 0; j < k; j++) z[o + j] = Math.exp(z[o + j] - lse) / n; // softmax / n
            z[o + y[i]] -= 1.0 / n;                                             // (P − Y) / n
        }
        dLogits.data().setData(z);
        Nd4j.gemm(dLogits, data.x(), grad, true, false, 1.0, 0.0);    // (P − Y)ᵀ·X / n, [K, d + 1]
        double[] g = grad.data().asDouble();
        double sq = 0, lambda = 1.0 / (c * n);
        for (int j = 0; j < k; j++) {
            for (int t = 0; t < d1 - 1; t++) {                              // the intercept column is not penalised
                double v = params[j * d1 + t];
                sq += v * v;
                g[j * d1 + t] += lambda * v;
            }
        }
        System.arraycopy(g, 0, gradOut, 0, g.length);
        return ce / n + 0.5 * lambda * sq;
    }

    @Override
    public void close() {
        w.close();
        logits.close();
        dLogits.close();
        grad.close();
    }
}
