package org.clip4j.train.optim;

/**
 * Learning rate per optimiser step, as OpenCLIP's {@code cosine_lr} / {@code const_lr}: linear warmup
 * {@code base·(step+1)/warmup} for the first {@code warmup} steps, then either a cosine from {@code base} down to
 * 0 at {@code totalSteps}, or constant {@code base}. Steps count from 0; the first step after warmup runs at
 * exactly the base rate.
 */
public record LrSchedule(Kind kind, double baseLr, long warmup, long totalSteps) {
    /** The shape after warmup. */
    public enum Kind {
        /** Cosine decay from the base rate to 0 over the remaining steps. */
        COSINE,
        /** The base rate until the end. */
        CONSTANT
    }

    public LrSchedule {
        if (baseLr < 0 || warmup < 0 || totalSteps < 1) {
            throw new IllegalArgumentException("schedule: lr " + baseLr + ", warmup " + warmup + ", steps " + totalSteps
                    + ": expected lr >= 0, warmup >= 0, steps >= 1");
        }
    }

    public static LrSchedule cosine(double baseLr, long warmup, long totalSteps) {
        return new LrSchedule(Kind.COSINE, baseLr, warmup, totalSteps);
    }

    public static LrSchedule constant(double baseLr, long warmup) {
        return new LrSchedule(Kind.CONSTANT, baseLr, warmup, Long.MAX_VALUE);
    }

    /** The learning rate of optimiser step {@code step} (0-based). */
    public double lr(long step) {
        if (step < warmup) return baseLr * (step + 1) / warmup;
        if (kind == Kind.CONSTANT) return baseLr;
        long e = step - warmup, es = totalSteps - warmup;
        if (es <= 0) return baseLr;
        return 0.5 * (1 + Math.cos(Math.PI * e / es)) * baseLr;
    }
}
