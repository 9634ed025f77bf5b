package org.clip4j.train.optim;

import java.util.ArrayList;
import java.util.List;

/**
 * Range checks of configuration fields that collect every problem before failing, so one error lists all that is
 * wrong (as {@code CheckpointLoader.validate} does for checkpoints). Each problem names the API field as
 * {@code Type.field}, its value and what was expected: {@code AdamWConfig.lr NaN: expected a finite number >= 0}.
 * A front end (the CLI) may translate the field names into its own option names.
 */
public final class Checks {
    private final List<String> problems = new ArrayList<>();

    /** An integer of at least {@code min}. */
    public Checks atLeast(String field, long v, long min) {
        if (v < min) problems.add(field + " " + v + ": expected an integer >= " + min);
        return this;
    }

    /** A finite number in [lo, hi] ({@code hi = Double.MAX_VALUE}: no upper bound). */
    public Checks finite(String field, double v, double lo, double hi) {
        if (!Double.isFinite(v) || v < lo || v > hi) {
            problems.add(field + " " + plain(v) + ": expected a finite number"
                    + (hi == Double.MAX_VALUE ? " >= " + plain(lo) : " in [" + plain(lo) + ", " + plain(hi) + "]"));
        }
        return this;
    }

    /** A number in [0, 1), as Adam's betas. */
    public Checks unitInterval(String field, double v) {
        if (!(v >= 0 && v < 1)) problems.add(field + " " + plain(v) + ": expected a number in [0, 1)");
        return this;
    }

    /** Adds {@code problem} unless {@code ok}. */
    public Checks require(boolean ok, String problem) {
        if (!ok) problems.add(problem);
        return this;
    }

    /** The problems so far. */
    public List<String> problems() {
        return List.copyOf(problems);
    }

    /** Throws an {@link IllegalArgumentException} listing every problem ("; "-separated), if there is any. */
    public void throwIfAny() {
        if (!problems.isEmpty()) throw new IllegalArgumentException(String.join("; ", problems));
    }

    /** -1 rather than -1.0, as the value was most likely written. */
    public static String plain(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
