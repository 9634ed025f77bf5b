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
        return reduce(x, null, false);
    }

    /** Σ over N, H, W of a·b, per channel: [C] in double (a and b have the same shape and layout). */
    static double[] dot(INDArray a, INDArray b) {
        if (!Tensors.sameLayout(a, b)) throw new IllegalArgumentException("layouts differ");
        return reduce(a, b, false);
    }

    /**
     * {mean, biased variance} per channel, in double. One pass over x for Σ(x − k) and Σ(x − k)², with k the
     * channel's first value: shifting by a value of the channel keeps E[y²] − E[y]² free of cancellation unless
     * |mean − k| ≫ std, and in double even |mean| = 1e4·std loses only ~1e-8.
     */
    static double[][] meanAndVariance(INDArray x) {
        long c = x.size(1), m = x.length() / c;
        double[] k = firstValues(x);
        double[] s = reduce(x, k, false);   // Σ (x − k)
        double[] s2 = reduce(x, k, true);   // Σ (x − k)²
        double[] mean = new double[(int) c], var = new double[(int) c];
        for (int i = 0; i < c; i++) {
            double d = s[i] / m;
            mean[i] = k[i] + d;
            var[i] = Math.max(0, s2[i] / m - d * d);
        }
        return new double[][] {mean, var};
    }

    /** The value at (0, c, 0, 0) for every channel c. */
    private static double[] firstValues(INDArray x) {
        long c = x.size(1);
        double[] k = new double[(int) c];
        for (int i = 0; i < c; i++) k[i] = x.getDouble(0, i, 0, 0);
        return k;
    }

    /**
     * The per-channel reduction: Σ a·b when b is an array, Σ (a − shift) when shift is given and not squared,
     * Σ (a − shift)² when squared, Σ a when both are null.
     */
    private static double[] reduce(INDArray a, Object other, boolean squared) {
        INDArray b = other instanceof INDArray arr ? arr : null;
        double[] shift = other instanceof double[] d ? d : null;
        long n = a.size(0);
        int c = (int) a.size(1);
        int parts = a.length() >= PARALLEL_MIN && n > 1 ? (int) Math.min(n, Runtime.getRuntime().availableProcessors()) : 1;
        double[][] partial = new double[parts][];
        IntStream.range(0, parts).parallel().forEach(p -> {
            long from = n * p / parts, to = n * (p + 1) / parts;
            partial[p] = reduceSamples(a, b, shift, squared, from, to);
        });
        double[] out = new double[c];
        for (double[] part : partial) for (int i = 0; i < c; i++) out[i] += part[i];
        return out;
    }

    /** The reduction over samples [from, to). */
    private static double[] reduceSamples(INDArray a, INDArray b, double[] shift, boolean squared, long from, long to) {
        int c = (int) a.size(1);
        long hw = a.size(2) * a.size(3);
        boolean last = !Tensors.isRowMajorContiguous(a); // dense() accepts only the two layouts
        double[] acc = new double[c];
        Reader ra = new Reader(a), rb = b == null ? null : new Reader(b);
        long perSample = hw * c;
        long start = from * perSample, end = to * perSample;
        double[] x = new double[CHUNK], y = b == null ? null : new double[CHUNK];
        for (long pos = start; pos < end; ) {
            int len;
            if (last) { // whole pixels: chunks of C·k values, channel = index mod C
                long pixels = Math.max(1, CHUNK / c);
                len = (int) Math.min(pixels * c, end - pos);
            } else {    // within one (sample, channel) plane
                long inPlane = pos % hw;
                len = (int) Math.min(CHUNK, hw - inPlane);
            }
            if (len > x.length) { // one channels-last pixel wider than a chunk
                x = new double[len];
                if (y != null) y = new double[len];
            }
            ra.read(pos, x, len);
            if (rb != null) rb.read(pos, y, len);
            if (last) {
                for (int base = 0; base < len; base += c) {
                    for (int i = 0; i < c; i++) acc[i] += term(x[base + i], y == null ? 0 : y[base + i], i, y != null, shift, squared);
                }
            } else {
                int ch = (int) ((pos / hw) % c);
                double s = 0;
                for (int i = 0; i < len; i++) s += term(x[i], y == null ? 0 : y[i], ch, y != null, shift, squared);
                acc[ch] += s;
            }
            pos += len;
        }
        return acc;
    }

    private static double term(double x, double y, int ch, boolean product, double[] shift, boolean squared) {
        if (product) return x * y;
        if (shift == null) return x;
        double d = x - shift[ch];
        return squared ? d * d : d;
    }

    /** Reads runs of a dense array's elements, in its dense order, as doubles. */
    private static final class Reader {
        private final FloatBuffer floats;
        private final DoubleBuffer doubles;
        private final long offset;
        private float[] scratch;

        Reader(INDArray x) {
            INDArray d = Tensors.dense(x);
            ByteBuffer bytes = d.data().asNio().order(ByteOrder.nativeOrder());
            DataType t = d.dataType();
            if (t == DataType.FLOAT) {
                floats = bytes.asFloatBuffer();
                doubles = null;
            } else if (t == DataType.DOUBLE) {
                doubles = bytes.asDoubleBuffer();
                floats = null;
            } else {
                throw new IllegalArgumentException("channel sums of " + t + " arrays");
            }
            offset = d.offset();
        }

        void read(long pos, double[] dst, int len) {
            int at = Math.toIntExact(offset + pos);
            if (doubles != null) {
                doubles.get(at, dst, 0, len);
                return;
            }
            if (scratch == null || scratch.length < len) scratch = new float[Math.max(len, CHUNK)];
            floats.get(at, scratch, 0, len);
            for (int i = 0; i < len; i++) dst[i] = scratch[i];
        }
    }
}
