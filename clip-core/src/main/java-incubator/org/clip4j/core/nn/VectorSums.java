package org.clip4j.core.nn;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ChannelSums}' inner loops on the Vector API: four float32 values widened to four doubles by one
 * instruction ({@code vcvtps2pd}), which JDK 17's JIT does not emit for the plain loops. Only touched when
 * {@link VectorApi#enabled}. Every term is the same double as in the plain loops (a float widened, a difference
 * with a double shift, a product of two floats — exact in double); only the order of the additions differs, so the
 * sums agree with the plain ones to double rounding.
 *
 * <p>Channels last ({@code last*}): a chunk is whole pixels of c channels, x[pixel·c + i]; these loops do the
 * channels [0, c − c mod 4) of every pixel, four pixels per load and store of the accumulators, and return where
 * the caller's plain loops take over (the last c mod 4 channels). NCHW ({@code flat*}): a chunk is a run of one
 * channel's plane, summed whole with four-lane accumulators.
 *
 * <p>Its own source root ({@code src/main/java-incubator}), compiled with the main sources: javadoc, which warns
 * about incubating modules (and its warnings fail the build), does not see it.
 */
final class VectorSums {
    private static final VectorSpecies<Float> F4 = FloatVector.SPECIES_128; // four floats in …
    private static final VectorSpecies<Double> D4 = DoubleVector.SPECIES_256; // … four doubles out
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;

    private VectorSums() {
    }

    /** The widest vector this CPU runs natively, in bits. */
    static int preferredBits() {
        return DoubleVector.SPECIES_PREFERRED.vectorBitSize();
    }

    /** x[at .. at + 3] as doubles. */
    private static DoubleVector widen(float[] x, int at) {
        return (DoubleVector) FloatVector.fromArray(F4, x, at).convertShape(VectorOperators.F2D, D4, 0);
    }

    /** Channels last, s1[i] += Σ_pixels x[p·c + i] for i below the returned c − c mod 4. */
    static int lastSum(float[] x, int len, int c, double[] s1) {
        int c4 = c & ~3, quad = len - len % (4 * c);
        for (int base = 0; base < len; ) {
            int pixels = base < quad ? 4 : 1;
            for (int i = 0; i < c4; i += 4) {
                DoubleVector s = DoubleVector.fromArray(D4, s1, i);
                for (int u = 0, j = base + i; u < pixels; u++, j += c) s = s.add(widen(x, j));
                s.intoArray(s1, i);
            }
            base += pixels * c;
        }
        return c4;
    }

    /** Channels last, s1[i] += Σ x and s2[i] += Σ x·y over the pixels, for i below the returned c − c mod 4. */
    static int lastSumAndDot(float[] x, float[] y, int len, int c, double[] s1, double[] s2) {
        int c4 = c & ~3, quad = len - len % (4 * c);
        for (int base = 0; base < len; ) {
            int pixels = base < quad ? 4 : 1;
            for (int i = 0; i < c4; i += 4) {
                DoubleVector s = DoubleVector.fromArray(D4, s1, i), q = DoubleVector.fromArray(D4, s2, i);
                for (int u = 0, j = base + i; u < pixels; u++, j += c) {
                    DoubleVector a = widen(x, j);
                    s = s.add(a);
                    q = q.add(a.mul(widen(y, j)));
                }
                s.intoArray(s1, i);
                q.intoArray(s2, i);
            }
            base += pixels * c;
        }
        return c4;
    }

    /** Channels last, s1[i] += Σ (x − k[i]) and s2[i] += Σ (x − k[i])², for i below the returned c − c mod 4. */
    static int lastMoments(float[] x, int len, int c, double[] k, double[] s1, double[] s2) {
        int c4 = c & ~3, quad = len - len % (4 * c);
        for (int base = 0; base < len; ) {
            int pixels = base < quad ? 4 : 1;
            for (int i = 0; i < c4; i += 4) {
                DoubleVector s = DoubleVector.fromArray(D4, s1, i), q = DoubleVector.fromArray(D4, s2, i);
                DoubleVector shift = DoubleVector.fromArray(D4, k, i);
                for (int u = 0, j = base + i; u < pixels; u++, j += c) {
                    DoubleVector d = widen(x, j).sub(shift);
                    s = s.add(d);
                    q = q.add(d.mul(d));
                }
                s.intoArray(s1, i);
                q.intoArray(s2, i);
            }
            base += pixels * c;
        }
        return c4;
    }

    /**
     * x[i] ← (m[i] ≤ 0 ? 0 : x[i]) for i below the returned len − len mod 8 (NaN in m keeps x, as the plain loop).
     */
    static int zeroWhereNotPositive(float[] x, float[] m, int len) {
        int len8 = len & ~7;
        for (int i = 0; i < len8; i += 8) {
            FloatVector v = FloatVector.fromArray(F8, x, i);
            v.blend(0f, FloatVector.fromArray(F8, m, i).compare(VectorOperators.LE, 0f)).intoArray(x, i);
        }
        return len8;
    }

    /**
     * Channels last, x[p·c + i] ← x[p·c + i]·scale[i] (c = scale.length) for i below the returned c − c mod 8: the
     * same float products as the plain loop, eight per instruction (JDK 17's C2 left that loop scalar: it was the
     * largest Java hotspot of RN50's backward, ≈ 3× the sums' time).
     */
    static int scaleLast(float[] x, int len, float[] scale) {
        int c = scale.length, c8 = c & ~7;
        for (int base = 0; base < len; base += c) {
            for (int i = 0; i < c8; i += 8) {
                FloatVector.fromArray(F8, x, base + i).mul(FloatVector.fromArray(F8, scale, i)).intoArray(x, base + i);
            }
        }
        return c8;
    }

    /** Σ x[0 .. len). */
    static double flatSum(float[] x, int len) {
        int len4 = len & ~3;
        DoubleVector s = DoubleVector.zero(D4);
        for (int i = 0; i < len4; i += 4) s = s.add(widen(x, i));
        double p = s.reduceLanes(VectorOperators.ADD);
        for (int i = len4; i < len; i++) p += x[i];
        return p;
    }

    /** {Σ x, Σ x·y} over [0, len) into out[0], out[1]. */
    static void flatSumAndDot(float[] x, float[] y, int len, double[] out) {
        int len4 = len & ~3;
        DoubleVector s = DoubleVector.zero(D4), q = DoubleVector.zero(D4);
        for (int i = 0; i < len4; i += 4) {
            DoubleVector a = widen(x, i);
            s = s.add(a);
            q = q.add(a.mul(widen(y, i)));
        }
        double p = s.reduceLanes(VectorOperators.ADD), r = q.reduceLanes(VectorOperators.ADD);
        for (int i = len4; i < len; i++) {
            p += x[i];
            r += (double) x[i] * y[i];
        }
        out[0] = p;
        out[1] = r;
    }

    /** {Σ (x − k), Σ (x − k)²} over [0, len) into out[0], out[1]. */
    static void flatMoments(float[] x, int len, double k, double[] out) {
        int len4 = len & ~3;
        DoubleVector s = DoubleVector.zero(D4), q = DoubleVector.zero(D4), shift = DoubleVector.broadcast(D4, k);
        for (int i = 0; i < len4; i += 4) {
            DoubleVector d = widen(x, i).sub(shift);
            s = s.add(d);
            q = q.add(d.mul(d));
        }
        double p = s.reduceLanes(VectorOperators.ADD), r = q.reduceLanes(VectorOperators.ADD);
        for (int i = len4; i < len; i++) {
            double d = x[i] - k;
            p += d;
            r += d * d;
        }
        out[0] = p;
        out[1] = r;
    }
}
