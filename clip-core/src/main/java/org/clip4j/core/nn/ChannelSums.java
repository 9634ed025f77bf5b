package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;

/**
 * Per-channel sums over N, H, W of dense [N, C, H, W] tensors (either layout of {@link Tensors#dense}), accumulated
 * in double — the BatchNorm statistics and their gradients.
 *
 * <p>Why: PyTorch's CPU BatchNorm accumulates float32 sums in double ({@code at::acc_type<float, false>}), so its
 * batch means are exact to float rounding. libnd4j's float32 reductions add sequentially in float: the mean of
 * 24·32·32 values came out 4e-6 off (relative), enough to move a tiny ResNet's train-mode loss by 7e-6 and its
 * trunk gradients by up to 1.5e-2 against the reference (issue 12). In double the result is the exact sum of
 * the float values rounded once, whatever the order, so it is also the same on every CPU.
 *
 * <p>The loops run over the native buffers in bulk-copied chunks, split over the samples on the common pool for
 * large tensors (a fixed split, combined in a fixed order: deterministic).
 */
final class ChannelSums {
    /** Elements per chunk copied out of the native buffer. */
    private static final int CHUNK = 1 << 14;
    /** Below this many elements one thread does it all. */
    private static final long PARALLEL_MIN = 1 << 20;

    private ChannelSums() {
    }

    /** Σ over N, H, W of x, per channel: [C] in double. */
    static double[] sum(INDArray x) {
        return reduce(Kind.SUM, x, null, null)[0];
    }

    /** Σ over N, H, W of a·b, per channel: [C] in double (a and b have the same shape and layout). */
    static double[] dot(INDArray a, INDArray b) {
        return sumAndDot(a, b)[1];
    }

    /**
     * {Σ a, Σ a·b} over N, H, W, per channel, in one pass: [2][C] in double (a and b have the same shape and
     * layout). BatchNorm's backward needs both, of dy and x.
     */
    static double[][] sumAndDot(INDArray a, INDArray b) {
        if (!Tensors.sameLayout(a, b)) throw new IllegalArgumentException("layouts differ");
        return reduce(Kind.SUM_AND_DOT, a, b, null);
    }

    /**
     * {mean, biased variance} per channel, in double. One pass over x for Σ(x − k) and Σ(x − k)², with k the
     * channel's first value: shifting by a value of the channel keeps E[y²] − E[y]² free of cancellation unless
     * |mean − k| ≫ std, and in double even |mean| = 1e4·std loses only ~1e-8.
     */
    static double[][] meanAndVariance(INDArray x) {
        long c = x.size(1), m = x.length() / c;
        double[] k = firstValues(x);
        double[][] sums = reduce(Kind.SHIFTED_MOMENTS, x, null, k); // Σ (x − k), Σ (x − k)²
        double[] mean = new double[(int) c], var = new double[(int) c];
        for (int i = 0; i < c; i++) {
            double d = sums[0][i] / m;
            mean[i] = k[i] + d;
            var[i] = Math.max(0, sums[1][i] / m - d * d);
        }
        return new double[][] {mean, var};
    }

    /**
     * The value at (0, c, 0, 0) for every channel c, read from the dense buffer (the first pixel's C values
     * channels last, one per plane in NCHW; an ND4J {@code getDouble} per channel cost ≈ 1 µs each).
     */
    private static double[] firstValues(INDArray x) {
        INDArray d = Tensors.dense(x);
        int c = (int) x.size(1);
        long step = Tensors.isRowMajorContiguous(x) ? x.size(2) * x.size(3) : 1;
        ByteBuffer bytes = d.data().asNio().order(ByteOrder.nativeOrder());
        FloatBuffer f = d.dataType() == DataType.FLOAT ? bytes.asFloatBuffer() : null;
        DoubleBuffer g = f == null ? bytes.asDoubleBuffer() : null;
        double[] k = new double[c];
        for (int i = 0; i < c; i++) {
            int at = Math.toIntExact(d.offset() + i * step);
            k[i] = f != null ? f.get(at) : g.get(at);
        }
        return k;
    }

    /** What one pass accumulates, per channel, into its first and second sums. */
    private enum Kind {
        /** Σ a (no second sum). */
        SUM,
        /** Σ a and Σ a·b. */
        SUM_AND_DOT,
        /** Σ (a − k) and Σ (a − k)², k per channel. */
        SHIFTED_MOMENTS
    }

    /** One pass of {@code kind} over a (and b), split over the samples for large tensors; [2][C]. */
    private static double[][] reduce(Kind kind, INDArray a, INDArray b, double[] shift) {
        if (a.dataType() == DataType.DOUBLE) return reduceDoubles(kind, a, b, shift);
        if (a.dataType() != DataType.FLOAT) throw new IllegalArgumentException("channel sums of " + a.dataType() + " arrays");
        long n = a.size(0);
        int c = (int) a.size(1);
        int parts = a.length() >= PARALLEL_MIN && n > 1 ? (int) Math.min(n, Runtime.getRuntime().availableProcessors()) : 1;
        double[][][] partial = new double[parts][][];
        IntStream.range(0, parts).parallel().forEach(p -> {
            long from = n * p / parts, to = n * (p + 1) / parts;
            partial[p] = reduceSamples(kind, a, b, shift, from, to);
        });
        double[][] out = new double[2][c];
        for (double[][] part : partial) {
            for (int i = 0; i < c; i++) {
                out[0][i] += part[0][i];
                out[1][i] += part[1][i];
            }
        }
        return out;
    }

    /**
     * The pass over float32 samples [from, to): chunks of the dense buffer copied out, then branch-free loops per
     * kind, each value widened to double as it is added. Channels last, a chunk is whole pixels and the inner loop
     * runs over the channels (JDK 17's C2 does not vectorise this per-pixel accumulation: ≈ 0.3 ns per element,
     * docs/performance.md); NCHW, a chunk lies in one channel's plane.
     */
    private static double[][] reduceSamples(Kind kind, INDArray a, INDArray b, double[] shift, long from, long to) {
        int c = (int) a.size(1);
        long hw = a.size(2) * a.size(3);
        boolean last = !Tensors.isRowMajorContiguous(a); // dense() accepts only the two layouts
        double[] s1 = new double[c], s2 = new double[c];
        double[] k = shift != null ? shift : new double[c];
        Reader ra = new Reader(a), rb = kind == Kind.SUM_AND_DOT ? new Reader(b) : null;
        long perSample = hw * c;
        long start = from * perSample, end = to * perSample;
        float[] x = new float[CHUNK], y = rb == null ? null : new float[CHUNK];
        for (long pos = start; pos < end; ) {
            int len = chunk(pos, end, c, hw, last);
            if (len > x.length) { // one channels-last pixel wider than a chunk
                x = new float[len];
                if (y != null) y = new float[len];
            }
            ra.read(pos, x, len);
            if (rb != null) rb.read(pos, y, len);
            if (last) {
                // Four pixels per pass over the accumulators: a quarter of their loads and stores, which bound
                // the loop; the last pixels of a chunk (fewer than four) one at a time.
                int quad = len - len % (4 * c), c2 = 2 * c, c3 = 3 * c;
                switch (kind) {
                    case SUM -> {
                        for (int base = 0; base < quad; base += 4 * c) {
                            for (int i = 0; i < c; i++) {
                                int j = base + i;
                                s1[i] += ((double) x[j] + x[j + c]) + ((double) x[j + c2] + x[j + c3]);
                            }
                        }
                        for (int base = quad; base < len; base += c) {
                            for (int i = 0; i < c; i++) s1[i] += x[base + i];
                        }
                    }
                    case SUM_AND_DOT -> {
                        for (int base = 0; base < quad; base += 4 * c) {
                            for (int i = 0; i < c; i++) {
                                int j = base + i;
                                s1[i] += ((double) x[j] + x[j + c]) + ((double) x[j + c2] + x[j + c3]);
                                s2[i] += ((double) x[j] * y[j] + (double) x[j + c] * y[j + c])
                                        + ((double) x[j + c2] * y[j + c2] + (double) x[j + c3] * y[j + c3]);
                            }
                        }
                        for (int base = quad; base < len; base += c) {
                            for (int i = 0; i < c; i++) {
                                s1[i] += x[base + i];
                                s2[i] += (double) x[base + i] * y[base + i];
                            }
                        }
                    }
                    case SHIFTED_MOMENTS -> {
                        for (int base = 0; base < quad; base += 4 * c) {
                            for (int i = 0; i < c; i++) {
                                int j = base + i;
                                double d0 = x[j] - k[i], d1 = x[j + c] - k[i], d2 = x[j + c2] - k[i], d3 = x[j + c3] - k[i];
                                s1[i] += (d0 + d1) + (d2 + d3);
                                s2[i] += (d0 * d0 + d1 * d1) + (d2 * d2 + d3 * d3);
                            }
                        }
                        for (int base = quad; base < len; base += c) {
                            for (int i = 0; i < c; i++) {
                                double d = x[base + i] - k[i];
                                s1[i] += d;
                                s2[i] += d * d;
                            }
                        }
                    }
                }
            } else {
                int ch = (int) ((pos / hw) % c);
                double p = 0, q = 0;
                switch (kind) {
                    case SUM -> {
                        for (int i = 0; i < len; i++) p += x[i];
                    }
                    case SUM_AND_DOT -> {
                        for (int i = 0; i < len; i++) {
                            p += x[i];
                            q += (double) x[i] * y[i];
                        }
                    }
                    case SHIFTED_MOMENTS -> {
                        double kc = k[ch];
                        for (int i = 0; i < len; i++) {
                            double d = x[i] - kc;
                            p += d;
                            q += d * d;
                        }
                    }
                }
                s1[ch] += p;
                s2[ch] += q;
            }
            pos += len;
        }
        return new double[][] {s1, s2};
    }

    /**
     * The length of the chunk at {@code pos}: channels last, whole pixels (C·j values, the channel of an element
     * is its index mod C); NCHW, up to the end of one (sample, channel) plane.
     */
    private static int chunk(long pos, long end, int c, long hw, boolean last) {
        if (last) return (int) Math.min(Math.max(1, CHUNK / c) * c, end - pos);
        return (int) Math.min(CHUNK, hw - pos % hw);
    }

    /** Reads runs of a dense float32 array's elements, in its dense order. */
    private static final class Reader {
        private final FloatBuffer floats;
        private final long offset;

        Reader(INDArray x) {
            INDArray d = Tensors.dense(x);
            floats = d.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
            offset = d.offset();
        }

        void read(long pos, float[] dst, int len) {
            floats.get(Math.toIntExact(offset + pos), dst, 0, len);
        }
    }

    /**
     * The same sums for double-precision arrays (the gradient checks): one plain loop over the elements in dense
     * order, the channel of each from its index; small arrays, no need for speed.
     */
    private static double[][] reduceDoubles(Kind kind, INDArray a, INDArray b, double[] shift) {
        INDArray da = Tensors.dense(a), db = b == null ? null : Tensors.dense(b);
        DoubleBuffer x = da.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
        DoubleBuffer y = db == null ? null : db.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
        int c = (int) a.size(1), ox = Math.toIntExact(da.offset()), oy = db == null ? 0 : Math.toIntExact(db.offset());
        long hw = a.size(2) * a.size(3), count = a.length();
        boolean last = !Tensors.isRowMajorContiguous(a);
        double[] s1 = new double[c], s2 = new double[c];
        for (int e = 0; e < count; e++) {
            int ch = (int) (last ? e % c : (e / hw) % c);
            double v = x.get(ox + e);
            switch (kind) {
                case SUM -> s1[ch] += v;
                case SUM_AND_DOT -> {
                    s1[ch] += v;
                    s2[ch] += v * y.get(oy + e);
                }
                case SHIFTED_MOMENTS -> {
                    double d = v - shift[ch];
                    s1[ch] += d;
                    s2[ch] += d * d;
                }
            }
        }
        return new double[][] {s1, s2};
    }
}
