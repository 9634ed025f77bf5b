package org.clip4j.eval.probe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Against scikit-learn 1.2 ({@code LogisticRegression(C, solver="lbfgs")}, tol 1e-12): the stored features and
 * fits in {@code testdata/linear-probe/}, made by {@code clip-eval/src/test/scripts/sklearn_logreg.py}.
 */
class LogisticRegressionTest {
    static final Path DIR = Path.of(System.getProperty("clip4j.testdata"), "linear-probe");

    @Test
    void objectiveAndAccuracyAgreeWithScikitLearn() throws IOException {
        JsonNode ref = new ObjectMapper().readTree(DIR.resolve("sklearn.json").toFile());
        FeatureSet train = FeatureSet.load(DIR.resolve("train.safetensors")), test = FeatureSet.load(DIR.resolve("test.safetensors"));
        int k = ref.get("classes").asInt();
        assertEquals(k, train.numClasses());
        try (DesignMatrix tr = new DesignMatrix(train); DesignMatrix te = new DesignMatrix(test)) {
            for (JsonNode fit : ref.get("fits")) {
                double c = fit.get("C").asDouble();
                LogisticModel m = LogisticRegression.fit(tr, k, c);
                String at = "C = " + c + " (" + m.status() + ", " + m.iterations() + " iterations)";
                assertTrue(m.converged(), at);
                double want = fit.get("train_objective").asDouble();
                assertEquals(want, m.objective(), 1e-4 * want, at);
                // Our minimum is never above scikit-learn's by more than rounding: both are minimisers.
                assertTrue(m.objective() <= want * (1 + 1e-9), at + ": " + m.objective() + " vs " + want);
                assertEquals(fit.get("train_accuracy").asDouble(), m.accuracy(tr), 1e-12, at);
                assertEquals(fit.get("test_accuracy").asDouble(), m.accuracy(te), 1e-12, at);
                // The solution itself (one minimiser: the problem is strictly convex in W). scikit-learn stops a
                // little earlier on the flat valleys of a weak penalty, so the weights agree to 0.5 % of the largest.
                JsonNode coef = fit.get("coef"), icpt = fit.get("intercept");
                double scale = 0;
                for (JsonNode row : coef) for (JsonNode v : row) scale = Math.max(scale, Math.abs(v.asDouble()));
                double tol = 5e-3 * Math.max(1, scale);
                for (int j = 0; j < k; j++) {
                    // Intercepts are defined up to a common shift in the multinomial model: compare differences.
                    assertEquals(icpt.get(j).asDouble() - icpt.get(0).asDouble(), m.intercept(j) - m.intercept(0), tol, at + " intercept " + j);
                    for (int t = 0; t < train.d(); t++) {
                        assertEquals(coef.get(j).get(t).asDouble(), m.weight(j, t), tol, at + " w[" + j + "][" + t + "]");
                    }
                }
            }
        }
    }

    /** At θ = 0 every class has probability 1/K: f = ln K, and ∂f/∂b_j = 1/K − (share of class j). */
    @Test
    void objectiveAtZeroIsLogK() {
        float[] x = {1, 2, -1, 0.5f, 3, -2};
        FeatureSet s = new FeatureSet(x, 3, 2, new int[]{0, 2, 2});
        try (DesignMatrix m = new DesignMatrix(s); SoftmaxObjective f = new SoftmaxObjective(m, 3, 0.5)) {
            double[] g = new double[f.dimension()];
            assertEquals(Math.log(3), f.evaluate(new double[9], g), 1e-15);
            assertEquals(1 / 3.0 - 1 / 3.0, g[2], 1e-15);     // class 0 intercept
            assertEquals(1 / 3.0, g[5], 1e-15);               // class 1: no rows
            assertEquals(1 / 3.0 - 2 / 3.0, g[8], 1e-15);     // class 2
            // ∂f/∂w_{0,0} = (1/n) Σ (1/3 − [y=0]) x₀ = (1/3)·((1/3 − 1)·1 + (1/3)·(−1) + (1/3)·3)
            assertEquals((1 / 3.0) * ((1 / 3.0 - 1) + (1 / 3.0) * -1 + (1 / 3.0) * 3), g[0], 1e-15);
        }
    }

    /** The gradient equals central finite differences of the objective at a random point. */
    @Test
    void gradientMatchesFiniteDifferences() {
        java.util.Random r = new java.util.Random(7);
        int n = 20, d = 3, k = 4;
        float[] x = new float[n * d];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < n; i++) y[i] = r.nextInt(k);
        try (DesignMatrix m = new DesignMatrix(new FeatureSet(x, n, d, y)); SoftmaxObjective f = new SoftmaxObjective(m, k, 0.7)) {
            double[] theta = new double[f.dimension()], g = new double[theta.length], scratch = new double[theta.length];
            for (int i = 0; i < theta.length; i++) theta[i] = r.nextGaussian();
            f.evaluate(theta, g);
            for (int i = 0; i < theta.length; i++) {
                double h = 1e-6, keep = theta[i];
                theta[i] = keep + h;
                double up = f.evaluate(theta, scratch);
                theta[i] = keep - h;
                double down = f.evaluate(theta, scratch);
                theta[i] = keep;
                assertEquals((up - down) / (2 * h), g[i], 1e-7, "parameter " + i);
            }
        }
    }

    @Test
    void badInputIsRejected() {
        FeatureSet s = new FeatureSet(new float[]{1, 2}, 2, 1, new int[]{0, 3});
        try (DesignMatrix m = new DesignMatrix(s)) {
            assertThrows(IllegalArgumentException.class, () -> LogisticRegression.fit(m, 2, 1.0), "label 3 of 2 classes");
            assertThrows(IllegalArgumentException.class, () -> LogisticRegression.fit(m, 4, 0.0), "C = 0");
        }
    }
}
