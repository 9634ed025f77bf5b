package org.clip4j.train.optim;

import org.clip4j.core.nn.Parameter;

import java.util.List;

/**
 * Dynamic loss scaling for fp16 training, with the semantics of PyTorch's {@code torch.amp.GradScaler}.
 *
 * <p>fp16 products flush gradients below 6e-8 to zero. Multiplying the loss gradient by a large scale S before
 * backward lifts them into range; {@link #unscale} divides every gradient by S again before clipping and the
 * optimiser step (exact, S being a power of two) and reports whether any gradient overflowed to inf or NaN.
 * {@link #update} then adapts S: after an overflow the step is skipped and S is multiplied by the backoff factor
 * (0.5); after {@code growthInterval} consecutive clean steps S is multiplied by the growth factor (2). The caller
 * skips the optimiser step on overflow.
 *
 * <pre>{@code
 * double loss = model.forwardBackward(images, ids, true, true, scaler.scale());
 * boolean overflow = scaler.unscale(params);
 * if (!overflow) optimizer.step(lr);
 * scaler.update(overflow);
 * }</pre>
 * bf16 has float32's exponent range and needs no scaling (PyTorch and OpenCLIP use none for it).
 */
public final class LossScaler {
    private final double growthFactor;
    private final double backoffFactor;
    private final int growthInterval;
    private double scale;
    private int growthTracker;

    private LossScaler(Config c) {
        this.growthFactor = c.growthFactor();
        this.backoffFactor = c.backoffFactor();
        this.growthInterval = c.growthInterval();
        this.scale = c.initialScale();
    }

    /**
     * The scaler's options as an immutable value (what a {@code TrainConfig} keeps); {@link Builder} checks them.
     *
     * @param initialScale   the scale of the first step
     * @param growthFactor   factor applied after {@code growthInterval} clean steps
     * @param backoffFactor  factor applied after an overflow
     * @param growthInterval consecutive clean steps before the scale grows
     */
    public record Config(double initialScale, double growthFactor, double backoffFactor, int growthInterval) {
        public Config {
            new Checks().require(initialScale > 0 && Double.isFinite(initialScale),
                            "LossScaler.initialScale " + initialScale + ": expected a finite positive number")
                    .require(growthFactor > 1 && Double.isFinite(growthFactor), "LossScaler.growthFactor " + growthFactor + ": expected > 1")
                    .require(backoffFactor > 0 && backoffFactor < 1, "LossScaler.backoffFactor " + backoffFactor + ": expected in (0, 1)")
                    .atLeast("LossScaler.growthInterval", growthInterval, 1).throwIfAny();
        }

        /** A new scaler with these options. */
        public LossScaler create() {
            return new LossScaler(this);
        }
    }

    /** PyTorch's defaults: initial scale 2¹⁶, growth 2 after 2,000 clean steps, backoff 0.5. */
    public static Builder builder() {
        return new Builder();
    }

    /** The scale state a checkpoint saves: the current scale and the count of clean steps since it last changed. */
    public record State(double scale, int growthTracker) {
    }

    /** The current scale S (multiply the loss gradient by it). */
    public double scale() {
        return scale;
    }

    /** Consecutive clean steps since the scale last changed. */
    public int growthTracker() {
        return growthTracker;
    }

    /** The state to save in a checkpoint (see {@link #load}). */
    public State state() {
        return new State(scale, growthTracker);
    }

    /** Restores a saved state (resume). */
    public void load(State s) {
        if (!(s.scale() > 0) || Double.isInfinite(s.scale())) {
            throw new IllegalArgumentException("loss scale " + s.scale() + ": expected a finite positive number");
        }
        if (s.growthTracker() < 0) {
            throw new IllegalArgumentException("growth tracker " + s.growthTracker() + ": expected >= 0");
        }
        scale = s.scale();
        growthTracker = s.growthTracker();
    }

    /**
     * Divides the gradient of every trainable parameter that has one by the scale, in place, and returns true if
     * any of them holds an infinity or a NaN (then the step must be skipped). A non-finite gradient stays
     * non-finite; finite ones are exactly the unscaled gradients (S is a power of two).
     */
    public boolean unscale(List<Parameter> params) {
        double inv = 1.0 / scale;
        for (Parameter p : params) {
            if (p.isTrainable() && p.hasGrad()) p.grad().muli(inv);
        }
        return GradientTools.hasNonFinite(params);
    }

    /**
     * Adapts the scale after a step: {@code overflow} (non-finite gradients or loss) multiplies it by the backoff
     * factor and restarts the count of clean steps; a clean step counts, and the {@code growthInterval}-th in a
     * row multiplies the scale by the growth factor.
     */
    public void update(boolean overflow) {
        if (overflow) {
            scale *= backoffFactor;
            growthTracker = 0;
        } else if (++growthTracker == growthInterval) {
            scale *= growthFactor;
            growthTracker = 0;
        }
    }

    @Override
    public String toString() {
        return "LossScaler(scale " + scale + ", growth ×" + growthFactor + " every " + growthInterval
                + " clean steps, backoff ×" + backoffFactor + ")";
    }

    /** Options; defaults as PyTorch's {@code GradScaler}. */
    public static final class Builder {
        private double initialScale = 65536.0;
        private double growthFactor = 2.0;
        private double backoffFactor = 0.5;
        private int growthInterval = 2000;

        private Builder() {
        }

        /** The scale of the first step (default 2¹⁶ = 65,536). */
        public Builder initialScale(double s) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("initialScale " + s + ": expected a finite positive number");
            }
            this.initialScale = s;
            return this;
        }

        /** Factor applied after {@link #growthInterval} clean steps (default 2; must be &gt; 1). */
        public Builder growthFactor(double f) {
            if (!(f > 1) || Double.isInfinite(f)) throw new IllegalArgumentException("growthFactor " + f + ": expected > 1");
            this.growthFactor = f;
            return this;
        }

        /** Factor applied after an overflow (default 0.5; must be in (0, 1)). */
        public Builder backoffFactor(double f) {
            if (!(f > 0 && f < 1)) throw new IllegalArgumentException("backoffFactor " + f + ": expected in (0, 1)");
            this.backoffFactor = f;
            return this;
        }

        /** Consecutive clean steps before the scale grows (default 2,000; must be &gt;= 1). */
        public Builder growthInterval(int n) {
            if (n < 1) throw new IllegalArgumentException("growthInterval " + n + ": expected >= 1");
            this.growthInterval = n;
            return this;
        }

        /** The options set so far, as an immutable value. */
        public Config config() {
            return new Config(initialScale, growthFactor, backoffFactor, growthInterval);
        }

        public LossScaler build() {
            return config().create();
        }
    }
}
