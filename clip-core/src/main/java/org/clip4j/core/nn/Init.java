package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

/**
 * Seeded parameter initialisation. Values are drawn with {@link java.util.Random} in the order the calls are
 * made, so a model built from the same config and seed is identical on every backend.
 */
public final class Init {
    private final Random random;
    private final DataType type;

    public Init(long seed, DataType type) {
        this.random = new Random(seed);
        this.type = type;
    }

    /** N(0, std²). */
    public void normal(Parameter p, double std) {
        double[] v = new double[Math.toIntExact(p.numel())];
        for (int i = 0; i < v.length; i++) v[i] = std * random.nextGaussian();
        set(p, v);
    }

    /** U(-bound, bound). */
    public void uniform(Parameter p, double bound) {
        double[] v = new double[Math.toIntExact(p.numel())];
        for (int i = 0; i < v.length; i++) v[i] = bound * (2 * random.nextDouble() - 1);
        set(p, v);
    }

    /** Every element equal to {@code c}. */
    public void constant(Parameter p, double c) {
        p.set(Nd4j.valueArrayOf(p.shape(), c, type));
    }

    /**
     * PyTorch's default {@code nn.Linear}/{@code nn.Conv2d} weight init, kaiming_uniform(a=√5), which works out
     * to U(-1/√fan_in, 1/√fan_in); fan_in is the product of all but the first dimension.
     */
    public void torchDefaultWeight(Parameter p) {
        long[] s = p.shape();
        long fanIn = p.numel() / s[0];
        uniform(p, 1.0 / Math.sqrt(fanIn));
    }

    /** Glorot/Xavier uniform for a [out, in] matrix: U(±√(6/(in+out))), as nn.MultiheadAttention does. */
    public void xavierUniform(Parameter p) {
        long[] s = p.shape();
        uniform(p, Math.sqrt(6.0 / (s[0] + s[1])));
    }

    private void set(Parameter p, double[] v) {
        org.nd4j.linalg.api.ndarray.INDArray d = Nd4j.create(v, p.shape(), DataType.DOUBLE);
        if (type == DataType.DOUBLE) {
            p.set(d);
        } else {
            p.set(d.castTo(type));
            Tensors.release(d);
        }
    }
}
