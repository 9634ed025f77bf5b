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
 * licence), with 10 correction pairs as SciPy's default. It stops when every gradient component is at most
 * {@code tolerance} in absolute value (SciPy's {@code pgtol} test, which scikit-learn's {@code tol} sets), when
 * the line search can make no more progress in double precision (then {@link LogisticModel#converged()} is
 * true when the gradient is within 10× the tolerance), or after {@code maxIterations} iterations (the
 * CLIP paper's probes use 1,000). liblbfgs's own test, ‖∇f‖ ≤ ε·max(1, ‖θ‖), is loose for the large weights of a
 * weakly regularised fit (at C = 10⁶ it stops far from the minimiser), so ε is set negligible here.
 */
public final class LogisticRegression {
    /** The iteration cap of the CLIP paper's linear probes. */
    public static final int MAX_ITERATIONS = 1000;
    /** Default gradient tolerance: stop when max |∂f/∂θᵢ| ≤ this. */
    public static final double TOLERANCE = 1e-8;

    private LogisticRegression() {
    }

    /** Fits with {@link #MAX_ITERATIONS} and {@link #TOLERANCE}. */
    public static LogisticModel fit(DesignMatrix data, int numClasses, double c) {
        return fit(data, numClasses, c, MAX_ITERATIONS, TOLERANCE);
    }

    /**
     * Fits {@code numClasses} classes (labels in [0, numClasses)) with inverse regularisation strength {@code c}.
     *
     * @param maxIterations L-BFGS iterations at most
     * @param tolerance     stop when max |∂f/∂θᵢ| ≤ tolerance
     */
    public static LogisticModel fit(DesignMatrix data, int numClasses, double c, int maxIterations, double tolerance) {
        if (!(tolerance > 0)) throw new IllegalArgumentException("tolerance " + tolerance + ": expected > 0");
        if (maxIterations < 1) throw new IllegalArgumentException("maxIterations " + maxIterations + ": expected >= 1");
        if (numClasses < 2) throw new IllegalArgumentException("logistic regression needs 2 or more classes, got " + numClasses);
        if (data.n() == 0) throw new IllegalArgumentException("logistic regression needs at least one training row");
        try (SoftmaxObjective f = new SoftmaxObjective(data, numClasses, c)) {
            int dim = f.dimension();
            double[] theta = new double[dim];                       // start at zero, as scikit-learn
            LbfgsConstant.LBFGS_Param p = new LbfgsConstant.LBFGS_Param(Lbfgs.defaultParams());
            p.m = 10;
            p.epsilon = 1e-15;                                     // liblbfgs's relative test: see the class comment
            p.max_iterations = maxIterations;
            p.past = 0;                                            // no stopping on a stalled objective
            int[] iterations = {0};
            MutableDouble fx = new MutableDouble();
            LbfgsConstant.ReturnValue r = Lbfgs.lbfgs(dim, theta, fx,
                    (instance, x, g, n, step) -> f.evaluate(x, g),
                    (instance, x, g, fxk, xnorm, gnorm, step, n, k, ls) -> {
                        iterations[0] = k;
                        double max = 0;
                        for (double v : g) max = Math.max(max, Math.abs(v));
                        // A positive code ends liblbfgs with the current point in x.
                        return max <= tolerance ? LbfgsConstant.ReturnValue.LBFGS_STOP : LbfgsConstant.ReturnValue.LBFGS_SUCCESS;
                    }, null, p);
            if (r == LbfgsConstant.ReturnValue.LBFGSERR_INVALIDPARAMETERS || r.name().startsWith("LBFGSERR_INVALID")) {
                throw new IllegalStateException("L-BFGS rejected its parameters: " + r);
            }
            double[] g = new double[dim];
            double objective = f.evaluate(theta, g);                // at the returned point
            double gmax = 0;
            for (double v : g) gmax = Math.max(gmax, Math.abs(v));
            // Converged: the gradient test was met, or the line search stalled in double precision (f cannot
            // decrease further) with the gradient within 10× the tolerance.
            boolean converged = gmax <= tolerance || r == LbfgsConstant.ReturnValue.LBFGS_STOP
                    || (r == LbfgsConstant.ReturnValue.LBFGSERR_ROUNDING_ERROR && gmax <= 10 * tolerance);
            return new LogisticModel(theta, numClasses, data.d(), c, objective, gmax, iterations[0],
                    f.evaluations() - 1, converged, r.name());
        }
    }
}
