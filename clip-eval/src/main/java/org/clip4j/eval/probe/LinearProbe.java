package org.clip4j.eval.probe;

import org.clip4j.core.ClipException;
import org.clip4j.eval.ClassificationReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The CLIP paper's linear-probe protocol on precomputed features: C is chosen by {@link RegularizationSweep} on
 * validation accuracy (each C fitted on the training set), the final model is refitted on training + validation
 * with that C, and scored on the test set. Without a validation set, a stratified fifth of the training set (fixed
 * seed) is held out for the sweep. With a fixed C there is no sweep: the model is fitted on training (+ validation
 * when given) directly.
 */
public final class LinearProbe {
    private static final Logger log = LoggerFactory.getLogger(LinearProbe.class);

    /** Fraction of the training set held out for the sweep when no validation set is given. */
    public static final double HOLD_OUT = 0.2;

    /**
     * What a probe run gives.
     *
     * @param c            the C of the final model
     * @param sweep        the sweep (null with a fixed C)
     * @param model        the final model
     * @param fitRows      rows it was fitted on
     * @param trainAccuracy accuracy on those rows
     * @param test         the test-set report
     */
    public record Result(double c, RegularizationSweep.Result sweep, LogisticModel model, int fitRows,
                         double trainAccuracy, ClassificationReport test) {
        /** {@code (1/n)·Σ CEᵢ + ‖W‖²/(2·C·n)} over the rows the final model was fitted on. */
        public double trainObjective() {
            return model.objective();
        }
    }

    private final RegularizationSweep sweep;
    private final int maxIterations;

    /** The paper's sweep and 1,000 L-BFGS iterations. */
    public LinearProbe() {
        this(new RegularizationSweep(), LogisticRegression.MAX_ITERATIONS);
    }

    /** A custom sweep and iteration cap. */
    public LinearProbe(RegularizationSweep sweep, int maxIterations) {
        this.sweep = sweep;
        this.maxIterations = maxIterations;
    }

    /**
     * Runs the protocol.
     *
     * @param val      validation features, or null (a stratified hold-out of {@code train} is used for the sweep)
     * @param fixedC   C to use without a sweep, or null
     * @param classes  class names (size K ≥ every label + 1), or null for "0", "1", …
     * @param progress receives one line per fitted C (may be null)
     */
    public Result run(FeatureSet train, FeatureSet val, FeatureSet test, Double fixedC, List<String> classes,
                      Consumer<String> progress) {
        if (val != null && val.d() != train.d()) throw new ClipException("validation features have width " + val.d() + ", training " + train.d());
        if (test.d() != train.d()) throw new ClipException("test features have width " + test.d() + ", training " + train.d());
        int k = Math.max(train.numClasses(), Math.max(test.numClasses(), val == null ? 0 : val.numClasses()));
        if (classes != null && classes.size() < k) throw new ClipException(classes.size() + " class names for labels up to " + (k - 1));
        if (classes != null) k = classes.size();
        if (classes == null) {
            List<String> names = new ArrayList<>();
            for (int i = 0; i < k; i++) names.add(Integer.toString(i));
            classes = names;
        }
        Consumer<String> say = progress == null ? s -> { } : progress;

        RegularizationSweep.Result swept = null;
        double c;
        FeatureSet fitSet;
        if (fixedC != null) {
            c = fixedC;
            fitSet = val == null ? train : train.concat(val);
        } else {
            FeatureSet sweepTrain = train, sweepVal = val;
            if (val == null) {
                int[][] parts = stratifiedSplit(train.labels(), HOLD_OUT, 0);
                sweepTrain = train.subset(parts[0]);
                sweepVal = train.subset(parts[1]);
            }
            final int classesK = k;
            try (DesignMatrix tr = new DesignMatrix(sweepTrain); DesignMatrix va = new DesignMatrix(sweepVal)) {
                swept = sweep.run(cc -> {
                    LogisticModel m = LogisticRegression.fit(tr, classesK, cc, maxIterations, LogisticRegression.TOLERANCE);
                    double acc = m.accuracy(va);
                    String line = String.format(java.util.Locale.ROOT, "C = %.4g: validation accuracy %.4f (%d iterations%s)",
                            cc, acc, m.iterations(), m.converged() ? "" : ", " + m.status());
                    log.debug(line);
                    say.accept(line);
                    return acc;
                });
            }
            c = swept.best().c();
            fitSet = val == null ? train : train.concat(val);
        }
        try (DesignMatrix fit = new DesignMatrix(fitSet); DesignMatrix te = new DesignMatrix(test)) {
            LogisticModel m = LogisticRegression.fit(fit, k, c, maxIterations, LogisticRegression.TOLERANCE);
            say.accept(String.format(java.util.Locale.ROOT, "final fit: C = %.4g on %d rows, objective %.6f (%d iterations, %s)",
                    c, fitSet.n(), m.objective(), m.iterations(), m.status()));
            ClassificationReport report = ClassificationReport.of(m.scores(te), test.labels(), classes);
            return new Result(c, swept, m, fitSet.n(), m.accuracy(fit), report);
        }
    }

    /**
     * Splits row indices per class: a fraction {@code holdOut} of each class's rows (rounded, at least one when
     * the class has two or more) goes to the second part, chosen by a seeded shuffle; both parts keep row order.
     */
    public static int[][] stratifiedSplit(int[] labels, double holdOut, long seed) {
        int k = 0;
        for (int l : labels) k = Math.max(k, l + 1);
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < k; c++) byClass.add(new ArrayList<>());
        for (int i = 0; i < labels.length; i++) byClass.get(labels[i]).add(i);
        boolean[] held = new boolean[labels.length];
        Random r = new Random(seed);
        for (List<Integer> rows : byClass) {
            java.util.Collections.shuffle(rows, r);
            int take = rows.size() < 2 ? 0 : Math.max(1, (int) Math.round(rows.size() * holdOut));
            for (int i = 0; i < take; i++) held[rows.get(i)] = true;
        }
        int nHeld = 0;
        for (boolean h : held) if (h) nHeld++;
        int[] a = new int[labels.length - nHeld], b = new int[nHeld];
        int ia = 0, ib = 0;
        for (int i = 0; i < labels.length; i++) {
            if (held[i]) b[ib++] = i;
            else a[ia++] = i;
        }
        return new int[][]{a, b};
    }
}
