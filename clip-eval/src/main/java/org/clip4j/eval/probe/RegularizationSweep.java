package org.clip4j.eval.probe;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.DoubleUnaryOperator;

/**
 * The CLIP paper's search for the regularisation strength (appendix A.3): validation accuracy at
 * C = 10⁻⁶, 10⁻⁴, …, 10⁶ (every two decades), then, around the best so far, the points half a step to either
 * side, halving the step until it is 1/8 decade (8 steps per decade). Each C is evaluated once; the best is the
 * highest score, the smallest C (the strongest regularisation) on ties.
 */
public final class RegularizationSweep {
    /** One evaluated point: log₁₀ C, C and its score (e.g. validation accuracy). */
    public record Point(double log10C, double c, double score) {
    }

    /** The chosen C and every point evaluated, in evaluation order. */
    public record Result(Point best, List<Point> evaluated) {
    }

    private final double lo, hi, initialStep, finalStep;

    /** The paper's settings: log₁₀ C in [−6, 6], first step 2 decades, last step 1/8 decade. */
    public RegularizationSweep() {
        this(-6, 6, 2, 0.125);
    }

    /** A sweep over log₁₀ C in [lo, hi], from {@code initialStep} down to {@code finalStep} (halving). */
    public RegularizationSweep(double lo, double hi, double initialStep, double finalStep) {
        if (!(hi >= lo) || !(initialStep > 0) || !(finalStep > 0) || finalStep > initialStep) {
            throw new IllegalArgumentException("sweep [" + lo + ", " + hi + "] with steps " + initialStep + " → " + finalStep);
        }
        this.lo = lo;
        this.hi = hi;
        this.initialStep = initialStep;
        this.finalStep = finalStep;
    }

    /** Runs the search; {@code score} maps C to a score to maximise. */
    public Result run(DoubleUnaryOperator score) {
        Map<Double, Point> seen = new TreeMap<>();
        List<Point> order = new ArrayList<>();
        for (double e = lo; e <= hi + 1e-9; e += initialStep) evaluate(e, score, seen, order);
        Point best = best(seen);
        for (double step = initialStep / 2; step >= finalStep - 1e-12; step /= 2) {
            for (double e : new double[]{best.log10C() - step, best.log10C() + step}) {
                if (e >= lo - 1e-9 && e <= hi + 1e-9) evaluate(e, score, seen, order);
            }
            best = best(seen);
        }
        return new Result(best, List.copyOf(order));
    }

    private static void evaluate(double e, DoubleUnaryOperator score, Map<Double, Point> seen, List<Point> order) {
        double key = Math.round(e * 1024) / 1024.0; // exponents are multiples of 1/8: exact keys
        if (seen.containsKey(key)) return;
        double c = Math.pow(10, key);
        Point p = new Point(key, c, score.applyAsDouble(c));
        seen.put(key, p);
        order.add(p);
    }

    private static Point best(Map<Double, Point> seen) {
        // TreeMap iterates by increasing C: max() keeps the first of equal scores, the smallest C.
        return seen.values().stream().max(Comparator.comparingDouble(Point::score)).orElseThrow();
    }
}
