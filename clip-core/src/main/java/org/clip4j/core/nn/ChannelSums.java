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
        return reduce(Kind.SUM, x, null, null, VectorApi.enabled())[0];
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
        return reduce(Kind.SUM_AND_DOT, a, b, null, VectorApi.enabled());
    }

    /**
     * BatchNorm's backward pass over its output gradient, with what surrounds it folded in: {Σ g, Σ g·x} per
     * channel ([2][C] in double) of g = dy, or with a {@code mask} g = (mask ≤ 0 ? 0 : dy) — the backward of a
     * ReLU that followed the BatchNorm, mask its output, as PyTorch's {@code threshold_backward} — and, given
     * {@code out}, out ← g·scale per channel (g itself without a scale) in the same pass, each product rounded to
     * dy's type as a separate multiply would be (scale holds values of that type). dy, x, mask and out have one shape and layout; out may be dy.
     */
    static double[][] backwardSums(INDArray dy, INDArray x, INDArray mask, double[] scale, INDArray out) {
        return backwardSums(dy, x, mask, scale, out, VectorApi.enabled());
    }

    /** As {@link #backwardSums(INDArray, INDArray, INDArray, double[], INDArray)}, on the chosen loops. */
    static double[][] backwardSums(INDArray dy, INDArray x, INDArray mask, double[] scale, INDArray out,
                                   boolean vector) {
        for (INDArray other : new INDArray[] {x, mask, out}) {
            if (other != null && !Tensors.sameLayout(dy, other)) throw new IllegalArgumentException("layouts differ");
        }
        if (scale != null && out == null) throw new IllegalArgumentException("a scale needs an output");
        return reduce(Kind.SUM_AND_DOT, dy, x, null, new Fold(mask, scale, out), vector);
    }

    /**
     * {mean, biased variance} per channel, in double. One pass over x for Σ(x − k) and Σ(x − k)², with k the
     * channel's first value: shifting by a value of the channel keeps E[y²] − E[y]² free of cancellation unless
     * |mean − k| ≫ std, and in double even |mean| = 1e4·std loses only ~1e-8.
     */
    static double[][] meanAndVariance(INDArray x) {
        return meanAndVariance(x, VectorApi.enabled());
    }

    /** As {@link #meanAndVariance(INDArray)}, on the Vector API's loops or the plain ones. */
    static double[][] meanAndVariance(INDArray x, boolean vector) {
        long c = x.size(1), m = x.length() / c;
        double[] k = firstValues(x);
        double[][] sums = reduce(Kind.SHIFTED_MOMENTS, x, null, k, vector); // Σ (x − k), Σ (x − k)²
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
    enum Kind {
        /** Σ a (no second sum). */
        SUM,
        /** Σ a and Σ a·b. */
        SUM_AND_DOT,
        /** Σ (a − k) and Σ (a − k)², k per channel. */
        SHIFTED_MOMENTS
    }

    /**
     * What {@link #backwardSums} folds into a {@link Kind#SUM_AND_DOT} pass: a ← (mask ≤ 0 ? 0 : a) before the
     * sums (no mask: a as is), then out ← a·scale (no scale: a) after them (no out: nothing written).
     */
    private record Fold(INDArray mask, double[] scale, INDArray out) {
    }

    /** One pass of {@code kind} over a (and b); [2][C]. */
    static double[][] reduce(Kind kind, INDArray a, INDArray b, double[] shift, boolean vector) {
        return reduce(kind, a, b, shift, null, vector);
    }

    /**
     * One pass of {@code kind} over a (and b), with {@code fold} (or null), split over the samples for large
     * tensors; [2][C]. {@code vector}: the float32 loops on the Vector API ({@link VectorSums}, only when
     * {@link VectorApi#AVAILABLE}) or plain.
     */
    private static double[][] reduce(Kind kind, INDArray a, INDArray b, double[] shift, Fold fold, boolean vector) {
        if (vector && !VectorApi.AVAILABLE) throw new IllegalStateException("the Vector API is " + VectorApi.describe());
        if (a.dataType() == DataType.DOUBLE) return reduceDoubles(kind, a, b, shift, fold);
        if (a.dataType() != DataType.FLOAT) throw new IllegalArgumentException("channel sums of " + a.dataType() + " arrays");
        long n = a.size(0);
        int c = (int) a.size(1);
        int parts = a.length() >= PARALLEL_MIN && n > 1 ? (int) Math.min(n, Runtime.getRuntime().availableProcessors()) : 1;
        double[][][] partial = new double[parts][][];
        IntStream.range(0, parts).parallel().forEach(p -> {
            long from = n * p / parts, to = n * (p + 1) / parts;
            partial[p] = reduceSamples(kind, a, b, shift, fold, from, to, vector);
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
     * docs/performance.md; {@link VectorSums} does, when {@code vector}); NCHW, a chunk lies in one channel's
     * plane.
     */
    private static double[][] reduceSamples(Kind kind, INDArray a, INDArray b, double[] shift, Fold fold,
                                            long from, long to, boolean vector) {
        int c = (int) a.size(1);
        long hw = a.size(2) * a.size(3);
        boolean last = !Tensors.isRowMajorContiguous(a); // dense() accepts only the two layouts
        double[] s1 = new double[c], s2 = new double[c];
        double[] k = shift != null ? shift : new double[c];
        Run ra = new Run(a), rb = kind == Kind.SUM_AND_DOT ? new Run(b) : null;
        Run rm = fold != null && fold.mask() != null ? new Run(fold.mask()) : null;
        Run wo = fold != null && fold.out() != null ? new Run(fold.out()) : null;
        float[] scale = fold == null || fold.scale() == null ? null : new float[c];
        for (int i = 0; scale != null && i < c; i++) scale[i] = (float) fold.scale()[i];
        long perSample = hw * c;
        long start = from * perSample, end = to * perSample;
        float[] x = new float[CHUNK], y = rb == null ? null : new float[CHUNK], m = rm == null ? null : new float[CHUNK];
        double[] pq = vector ? new double[2] : null; // the Vector API's NCHW sums of one chunk
        for (long pos = start; pos < end; ) {
            int len = chunk(pos, end, c, hw, last);
            if (len > x.length) { // one channels-last pixel wider than a chunk
                x = new float[len];
                if (y != null) y = new float[len];
                if (m != null) m = new float[len];
            }
            ra.read(pos, x, len);
            if (rb != null) rb.read(pos, y, len);
            if (rm != null) { // x ← (m ≤ 0 ? 0 : x): NaN in m passes x, as in PyTorch
                rm.read(pos, m, len);
                int i = vector ? VectorSums.zeroWhereNotPositive(x, m, len) : 0;
                for (; i < len; i++) if (m[i] <= 0) x[i] = 0;
            }
            if (last) {
                // The Vector API's loops do the channels [0, c − c mod 4), the plain loops below the rest (all of
                // them without the Vector API).
                int done = !vector ? 0 : switch (kind) {
                    case SUM -> VectorSums.lastSum(x, len, c, s1);
                    case SUM_AND_DOT -> VectorSums.lastSumAndDot(x, y, len, c, s1, s2);
                    case SHIFTED_MOMENTS -> VectorSums.lastMoments(x, len, c, k, s1, s2);
                };
                // Four pixels per pass over the accumulators: a quarter of their loads and stores, which bound
                // the loop; the last pixels of a chunk (fewer than four) one at a time.
                int quad = len - len % (4 * c), c2 = 2 * c, c3 = 3 * c;
                switch (kind) {
                    case SUM -> {
                        for (int base = 0; base < quad; base += 4 * c) {
                            for (int i = done; i < c; i++) {
                                int j = base + i;
                                s1[i] += ((double) x[j] + x[j + c]) + ((double) x[j + c2] + x[j + c3]);
                            }
                        }
                        for (int base = quad; base < len; base += c) {
                            for (int i = done; i < c; i++) s1[i] += x[base + i];
                        }
                    }
                    case SUM_AND_DOT -> {
                        for (int base = 0; base < quad; base += 4 * c) {
                            for (int i = done; i < c; i++) {
                                int j = base + i;
                                s1[i] += ((double) x[j] + x[j + c]) + ((double) x[j + c2] + x[j + c3]);
                                s2[i] += ((double) x[j] * y[j] + (double) x[j + c] * y[j + c])
                                        + ((double) x[j + c2] * y[j + c2] + (double) x[j + c3] * y[j + c3]);
                            }
                        }
                        for (int base = quad; base < len; base += c) {
                            for (int i = done; i < c; i++) {
                                s1[i] += x[base + i];
                                s2[i] += (double) x[base + i] * y[base + i];
                            }
                        }
                    }
                    case SHIFTED_MOMENTS -> {
                        for (int base = 0; base < quad; base += 4 * c) {
                            for (int i = done; i < c; i++) {
                                int j = base + i;
                                double d0 = x[j] - k[i], d1 = x[j + c] - k[i], d2 = x[j + c2] - k[i], d3 = x[j + c3] - k[i];
                                s1[i] += (d0 + d1) + (d2 + d3);
                                s2[i] += (d0 * d0 + d1 * d1) + (d2 * d2 + d3 * d3);
                            }
                        }
                        for (int base = quad; base < len; base += c) {
                            for (int i = done; i < c; i++) {
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
                if (vector) {
                    switch (kind) {
                        case SUM -> {
                            pq[0] = VectorSums.flatSum(x, len);
                            pq[1] = 0;
                        }
                        case SUM_AND_DOT -> VectorSums.flatSumAndDot(x, y, len, pq);
                        case SHIFTED_MOMENTS -> VectorSums.flatMoments(x, len, k[ch], pq);
                    }
                    p = pq[0];
                    q = pq[1];
                } else {
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
                }
                s1[ch] += p;
                s2[ch] += q;
            }
            if (wo != null) {
                if (scale != null) scaleChunk(x, len, scale, last ? -1 : (int) ((pos / hw) % c), vector);
                wo.write(pos, x, len);
            }
            pos += len;
        }
        return new double[][] {s1, s2};
    }

    /**
     * x ← x·scale per channel over a chunk: channels last ({@code channel} −1) x[pixel·C + i]·scale[i], on the Vector
     * API's loop ({@code vector}: the channels [0, C − C mod 8)) and a plain one (the rest); else the chunk lies in
     * the plane of {@code channel}, a plain loop the JIT vectorises.
     */
    private static void scaleChunk(float[] x, int len, float[] scale, int channel, boolean vector) {
        if (channel >= 0) {
            float k = scale[channel];
            for (int i = 0; i < len; i++) x[i] *= k;
            return;
        }
        int c = scale.length, done = vector ? VectorSums.scaleLast(x, len, scale) : 0;
        if (done == c) return;
        for (int base = 0; base < len; base += c) {
            for (int i = done; i < c; i++) x[base + i] *= scale[i];
        }
    }

    /**
     * The length of the chunk at {@code pos}: channels last, whole pixels (C·j values, the channel of an element
     * is its index mod C); NCHW, up to the end of one (sample, channel) plane.
     */
    private static int chunk(long pos, long end, int c, long hw, boolean last) {
        if (last) return (int) Math.min(Math.max(1, CHUNK / c) * c, end - pos);
        return (int) Math.min(CHUNK, hw - pos % hw);
    }

    /** Reads and writes runs of a dense float32 array's elements, in its dense order. */
    private static final class Run {
        private final FloatBuffer floats;
        private final long offset;

        Run(INDArray x) {
            INDArray d = Tensors.dense(x);
            floats = d.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
            offset = d.offset();
        }

        void read(long pos, float[] dst, int len) {
            floats.get(Math.toIntExact(offset + pos), dst, 0, len);
        }

        void write(long pos, float[] src, int len) {
            floats.put(Math.toIntExact(offset + pos), src, 0, len);
        }
    }

    /**
     * The same sums for double-precision arrays (the gradient checks): one plain loop over the elements in dense
     * order, the channel of each from its index; small arrays, no need for speed.
     */
    private static double[][] reduceDoubles(Kind kind, INDArray a, INDArray b, double[] shift, Fold fold) {
        DoubleBuffer x = doubles(a), y = b == null ? null : doubles(b);
        DoubleBuffer m = fold == null || fold.mask() == null ? null : doubles(fold.mask());
        DoubleBuffer o = fold == null || fold.out() == null ? null : doubles(fold.out());
        double[] scale = fold == null ? null : fold.scale();
        int c = (int) a.size(1);
        int ox = offset(a), oy = b == null ? 0 : offset(b);
        int om = m == null ? 0 : offset(fold.mask()), oo = o == null ? 0 : offset(fold.out());
        long hw = a.size(2) * a.size(3), count = a.length();
        boolean last = !Tensors.isRowMajorContiguous(a);
        double[] s1 = new double[c], s2 = new double[c];
        for (int e = 0; e < count; e++) {
            int ch = (int) (last ? e % c : (e / hw) % c);
            double v = x.get(ox + e);
            if (m != null && m.get(om + e) <= 0) v = 0;
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
            if (o != null) o.put(oo + e, scale == null ? v : v * scale[ch]);
        }
        return new double[][] {s1, s2};
    }

    /** A double view of the whole buffer under a's dense form; index {@link #offset}(a) is its first element. */
    private static DoubleBuffer doubles(INDArray a) {
        return Tensors.dense(a).data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
    }

    private static int offset(INDArray a) {
        return Math.toIntExact(Tensors.dense(a).offset());
    }
}
