package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.util.SplittableRandom;

/**
 * Seeded parameter initialisation. Values are drawn in Java, in the order the calls are made, so a model built
 * from the same config and seed is identical on every backend. {@link SplittableRandom}'s {@code nextGaussian}
 * (Java 17's ziggurat) is several times faster than {@code java.util.Random}'s polar method, which matters for
 * the 150 M draws of a ViT-B/32.
 */
public final class Init {
    private final SplittableRandom random;
    private final DataType type;

    public Init(long seed, DataType type) {
        this.random = new SplittableRandom(seed);
        this.type = type;
    }

    /** N(0, std²). */
    public void normal(Parameter p, double std) {
        int n = Math.toIntExact(p.numel());
        if (type == DataType.DOUBLE) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = std * random.nextGaussian();
            p.set(Nd4j.create(v, p.shape(), DataType.DOUBLE));
        } else {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) (std * random.nextGaussian());
            setFloats(p, v);
        }
    }

    /** U(-bound, bound). */
    public void uniform(Parameter p, double bound) {
        int n = Math.toIntExact(p.numel());
        if (type == DataType.DOUBLE) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = bound * (2 * random.nextDouble() - 1);
            p.set(Nd4j.create(v, p.shape(), DataType.DOUBLE));
        } else {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) (bound * (2 * random.nextDouble() - 1));
            setFloats(p, v);
        }
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

    private void setFloats(Parameter p, float[] v) {
        org.nd4j.linalg.api.ndarray.INDArray f = Nd4j.create(v, p.shape(), DataType.FLOAT);
        if (type == DataType.FLOAT) {
            p.set(f);
        } else {
            p.set(f.castTo(type));
            Tensors.release(f);
        }
    }
}
