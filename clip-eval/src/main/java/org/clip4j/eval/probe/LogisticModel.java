package org.clip4j.eval.probe;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A fitted multinomial logistic regression: parameters row-major {@code [K, d + 1]} (class {@code j}'s weights,
 * then its intercept), the C it was fitted with, the training objective {@code (1/n)·Σ CEᵢ + ‖W‖²/(2·C·n)} at
 * the solution, and how L-BFGS ended.
 *
 * @param parameters    [K·(d + 1)]
 * @param gradientMax   max |∂f/∂θᵢ| at the solution
 * @param iterations    L-BFGS iterations
 * @param evaluations   objective evaluations (line-search trials included)
 * @param converged     whether L-BFGS met its gradient test (false: iteration cap, or the line search could not
 *                      make progress in double precision; the point is then the best one found)
 * @param status        liblbfgs's return code
 */
public record LogisticModel(double[] parameters, int numClasses, int d, double c, double objective, double gradientMax,
                            int iterations, int evaluations, boolean converged, String status) {
    public LogisticModel {
        if (parameters.length != numClasses * (d + 1)) {
            throw new IllegalArgumentException(parameters.length + " parameters for " + numClasses + " classes of width " + d);
        }
        parameters = parameters.clone();
    }

    /** Weight of feature {@code t} for class {@code j}. */
    public double weight(int j, int t) {
        return parameters[j * (d + 1) + t];
    }

    /** Intercept of class {@code j}. */
    public double intercept(int j) {
        return parameters[j * (d + 1) + d];
    }

    /** Scores {@code z = W·x + b} of each row, as a double matrix [n][K]. */
    public double[][] scores(DesignMatrix data) {
        if (data.d() != d) throw new IllegalArgumentException("features of width " + data.d() + " for a model of width " + d);
        try (INDArray w = Nd4j.create(parameters, new long[]{numClasses, d + 1}, DataType.DOUBLE); // [K, d + 1]
             INDArray z = Nd4j.gemm(data.x(), w, false, true)) {                               // [n, K]
            return z.toDoubleMatrix();
        }
    }

    /** The highest-scoring class of each row (the first on ties). */
    public int[] predict(DesignMatrix data) {
        double[][] z = scores(data);
        int[] out = new int[z.length];
        for (int i = 0; i < z.length; i++) {
            int best = 0;
            for (int j = 1; j < numClasses; j++) if (z[i][j] > z[i][best]) best = j;
            out[i] = best;
        }
        return out;
    }

    /** Fraction of rows whose prediction equals the label (0 for no rows). */
    public double accuracy(DesignMatrix data) {
        int[] p = predict(data), y = data.labelsView();
        int right = 0;
        for (int i = 0; i < p.length; i++) if (p[i] == y[i]) right++;
        return p.length == 0 ? 0 : (double) right / p.length;
    }
}
