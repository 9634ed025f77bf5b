package org.clip4j.eval.probe;

import com.github.lbfgs4j.liblbfgs.Lbfgs;
import com.github.lbfgs4j.liblbfgs.LbfgsConstant;
import com.github.lbfgs4j.liblbfgs.MutableDouble;

/**
 * Multinomial logistic regression with an L2 penalty on the weights (not the intercepts), fitted by L-BFGS from
 * zero, as scikit-learn's {@code LogisticRegression(C, solver="lbfgs")}: it minimises
 * {@code (1/n)·Σ CEᵢ + ‖W‖²/(2·C·n)} (see {@link SoftmaxObjective}).
 *
 * <p>L-BFGS is lbfgs4j, a Java port of liblbfgs (Nocedal's L-BFGS with the Moré–Thuente line search; MIT
 * licence): 10 correction pairs, as SciPy's default; it stops when ‖∇f‖ ≤ {@code epsilon}·max(1, ‖θ‖) or after
 * {@code maxIterations} iterations (the CLIP paper's probes use 1,000).
 */
public final class LogisticRegression {
    /** The iteration cap of the CLIP paper's linear probes. */
    public static final int MAX_ITERATIONS = 1000;
    /** Default gradient tolerance, relative to max(1, ‖θ‖). */
    public static final double EPSILON = 1e-7;

    private LogisticRegression() {
    }

    /** Fits with {@link #MAX_ITERATIONS} and {@link #EPSILON}. */
    public static LogisticModel fit(DesignMatrix data, int numClasses, double c) {
        return fit(data, numClasses, c, MAX_ITERATIONS, EPSILON);
    }

    /**
     * Fits {@code numClasses} classes (labels in [0, numClasses)) with inverse regularisation strength {@code c}.
     *
     * @param maxIterations L-BFGS iterations at most
     * @param epsilon       stop when ‖∇f‖ ≤ epsilon·max(1, ‖θ‖)
     */
    public static LogisticModel fit(DesignMatrix data, int numClasses, double c, int maxIterations, double epsilon) {
        if (numClasses < 2) throw new IllegalArgumentException("logistic regression needs 2 or more classes, got " + numClasses);
        if (data.n() == 0) throw new IllegalArgumentException("logistic regression needs at least one training row");
        try (SoftmaxObjective f = new SoftmaxObjective(data, numClasses, c)) {
            int dim = f.dimension();
            double[] theta = new double[dim];                       // start at zero, as scikit-learn
            LbfgsConstant.LBFGS_Param p = new LbfgsConstant.LBFGS_Param(Lbfgs.defaultParams());
            p.m = 10;
            p.epsilon = epsilon;
            p.max_iterations = maxIterations;
            p.past = 0;                                            // no stopping on a stalled objective
            int[] iterations = {0};
            MutableDouble fx = new MutableDouble();
            LbfgsConstant.ReturnValue r = Lbfgs.lbfgs(dim, theta, fx,
                    (instance, x, g, n, step) -> f.evaluate(x, g),
                    (instance, x, g, fxk, xnorm, gnorm, step, n, k, ls) -> {
                        iterations[0] = k;
                        return LbfgsConstant.ReturnValue.LBFGS_SUCCESS;
                    }, null, p);
            if (r == LbfgsConstant.ReturnValue.LBFGSERR_INVALIDPARAMETERS || r.name().startsWith("LBFGSERR_INVALID")) {
                throw new IllegalStateException("L-BFGS rejected its parameters: " + r);
            }
            double[] g = new double[dim];
            double objective = f.evaluate(theta, g);                // at the returned point
            double gnorm = 0;
            for (double v : g) gnorm += v * v;
            boolean converged = r == LbfgsConstant.ReturnValue.LBFGS_SUCCESS || r == LbfgsConstant.ReturnValue.LBFGS_CONVERGENCE
                    || r == LbfgsConstant.ReturnValue.LBFGS_STOP || r == LbfgsConstant.ReturnValue.LBFGS_ALREADY_MINIMIZED;
            return new LogisticModel(theta, numClasses, data.d(), c, objective, Math.sqrt(gnorm), iterations[0],
                    f.evaluations() - 1, converged, r.name());
        }
    }
}
