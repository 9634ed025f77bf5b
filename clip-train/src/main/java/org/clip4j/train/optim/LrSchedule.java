package org.clip4j.train.optim;

/**
 * The shape of the learning rate over a run, as OpenCLIP's {@code cosine_lr} / {@code const_lr}: linear warmup
 * {@code base·(step+1)/warmup} for the first {@code warmup} steps, then either a cosine from {@code base} down to
 * 0 at the run's last step, or constant {@code base}. The base rate comes from the {@link OptimizerConfig} and the
 * step count from the run, so one schedule value fits any run length. Steps count from 0; the first step after
 * warmup runs at exactly the base rate.
 *
 * @param kind   the shape after warmup
 * @param warmup linear warmup steps (&gt;= 0)
 */
public record LrSchedule(Kind kind, long warmup) {
    /** OpenCLIP's default: cosine without warmup. */
    public static final LrSchedule DEFAULT = cosine(0);

    /** The shape after warmup. */
    public enum Kind {
        /** Cosine decay from the base rate to 0 over the remaining steps. */
        COSINE,
        /** The base rate until the end. */
        CONSTANT
    }

    public LrSchedule {
        new Checks().require(kind != null, "LrSchedule.kind: expected COSINE or CONSTANT, got null")
                .atLeast("LrSchedule.warmup", warmup, 0).throwIfAny();
    }

    /** Warmup, then cosine decay to 0 at the last step. */
    public static LrSchedule cosine(long warmup) {
        return new LrSchedule(Kind.COSINE, warmup);
    }

    /** Warmup, then the base rate. */
    public static LrSchedule constant(long warmup) {
        return new LrSchedule(Kind.CONSTANT, warmup);
    }

    /**
     * The learning rate of optimiser step {@code step} (0-based) of a run of {@code totalSteps} steps at base rate
     * {@code baseLr}.
     */
    public double lr(long step, double baseLr, long totalSteps) {
        if (step < warmup) return baseLr * (step + 1) / warmup;
        if (kind == Kind.CONSTANT) return baseLr;
        long e = step - warmup, es = totalSteps - warmup;
        if (es <= 0) return baseLr;
        return 0.5 * (1 + Math.cos(Math.PI * e / es)) * baseLr;
    }

    /** One line for provenance and logs: {@code cosine, warmup 100 steps}. */
    public String describe() {
        return (kind == Kind.COSINE ? "cosine" : "constant") + ", warmup " + warmup + " steps";
    }
}
