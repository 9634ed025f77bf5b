package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Central finite-difference gradient check in double precision. The scalar checked is {@code Σ y ∘ R} for a
 * fixed random R, so backward is called with {@code dy = R}.
 */
final class GradCheck {
    /** A layer under test: forward with an optional tape, backward returning the input gradient (or null). */
    interface Layer {
        INDArray forward(INDArray x, Tape tape);

        INDArray backward(INDArray dy, Tape tape);
    }

    static final double H = 1e-6;
    static final double TOL = 1e-6;

    private GradCheck() {
    }

    /** Fills every parameter of {@code m} with N(0, std²) doubles (seeded). */
    static void randomize(Module m, long seed, double std) {
        Init init = new Init(seed, DataType.DOUBLE);
        for (Parameter p : m.stateDict()) init.normal(p, std);
    }

    static INDArray randn(long seed, long... shape) {
        Random r = new Random(seed);
        long n = 1;
        for (long d : shape) n *= d;
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = r.nextGaussian();
        return Nd4j.create(v, shape, DataType.DOUBLE);
    }

    /**
     * Checks the analytic gradients of every parameter of {@code m} (and of the input if {@code checkInput})
     * against central differences; returns the largest normwise relative error seen.
     */
    static double check(Module m, Layer layer, INDArray x, boolean checkInput) {
        return check(m, layer, x, checkInput, 24);
    }

    /** As {@link #check(Module, Layer, INDArray, boolean)}, perturbing at most {@code samples} elements per tensor. */
    static double check(Module m, Layer layer, INDArray x, boolean checkInput, int samples) {
        INDArray y0 = layer.forward(x, null);
        INDArray r = randn(99, y0.shape());
        m.zeroGrad();
        INDArray dx;
        try (Tape tape = new Tape()) {
            INDArray y = layer.forward(x, tape);
            dx = layer.backward(r, tape);
            assertTrue(tape.size() == 0, "tape not fully unwound: " + tape.size() + " frames left");
            Tensors.release(y);
        }
        double worst = 0;
        for (Parameter p : m.parameters()) {
            double e = compare(p.name(), p.grad(), p.value(), () -> objective(layer, x, r), samples);
            worst = Math.max(worst, e);
        }
        if (checkInput) {
            double e = compare("input", dx, x, () -> objective(layer, x, r), samples);
            worst = Math.max(worst, e);
        }
        return worst;
    }

    private static void put(INDArray target, INDArray flat, long[] at, long i, double v) {
        if (at != null) target.putScalar(at, v);
        else flat.putScalar(i, v);
    }

    static double objective(Layer layer, INDArray x, INDArray r) {
        INDArray y = layer.forward(x, null);
        double v = y.mul(r).sumNumber().doubleValue();
        Tensors.release(y);
        return v;
    }

    /** Perturbs each element of {@code target} and compares the numerical derivative with {@code analytic}. */
    static double compare(String what, INDArray analytic, INDArray target, java.util.function.DoubleSupplier f) {
        return compare(what, analytic, target, f, Integer.MAX_VALUE);
    }

    /**
     * As above on at most {@code samples} elements: all of a small tensor, else the first, the last and random
     * others. Elements not sampled are compared against themselves (numeric := analytic).
     */
    static double compare(String what, INDArray analytic, INDArray target, java.util.function.DoubleSupplier f,
                          int samples) {
        INDArray flat = target.reshape(target.length());
        INDArray numeric = analytic.reshape(target.length()).castTo(DataType.DOUBLE).dup();
        long n = target.length();
        java.util.TreeSet<Long> picks = new java.util.TreeSet<>();
        if (n <= samples) {
            for (long i = 0; i < n; i++) picks.add(i);
        } else {
            Random r = new Random(n * 31 + what.hashCode());
            picks.add(0L);
            picks.add(n - 1);
            while (picks.size() < samples) picks.add((long) r.nextInt((int) n));
        }
        // A target that is not C-contiguous (a channels-last activation) has no flat view: reshape would copy.
        boolean viaIndex = !Tensors.isRowMajorContiguous(target);
        for (long i : picks) {
            long[] at = viaIndex ? org.nd4j.linalg.api.shape.Shape.ind2subC(target.shape(), i) : null;
            double old = viaIndex ? target.getDouble(at) : flat.getDouble(i);
            put(target, flat, at, i, old + H);
            double up = f.getAsDouble();
            put(target, flat, at, i, old - H);
            double down = f.getAsDouble();
            put(target, flat, at, i, old);
            numeric.putScalar(i, (up - down) / (2 * H));
        }
        INDArray a = analytic.reshape(target.length()).castTo(DataType.DOUBLE);
        double scale = Math.max(numeric.amaxNumber().doubleValue(), 1e-12);
        double err = a.sub(numeric).amaxNumber().doubleValue() / scale;
        assertTrue(err <= TOL, what + ": analytic vs numeric gradient, normwise relative error " + err
                + " (max |numeric| " + scale + ")");
        return err;
    }
}
