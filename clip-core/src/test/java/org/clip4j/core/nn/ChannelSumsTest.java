package org.clip4j.core.nn;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The double-accumulated per-channel sums against plain double loops over the same float values, in both dense
 * layouts, for a pooled channels-last view, and for tensors large enough to split over threads — each on the plain
 * loops and on the Vector API's ({@link VectorSums}; the tests' JVM has the module, see the root pom).
 */
class ChannelSumsTest {
    /** The two implementations of the float32 loops: plain, and on the Vector API. */
    private static final boolean[] LOOPS = {false, true};

    @Test
    void theTestsRunTheVectorApi() {
        // Surefire starts the JVM with --add-modules jdk.incubator.vector; without it the vector cases below would
        // test nothing. Both machine kinds (AVX2, AVX-512) have 256-bit vectors.
        assertTrue(VectorApi.AVAILABLE && VectorApi.enabled(), VectorApi.describe());
    }

    private static double[] sum(INDArray x, boolean vector) {
        return ChannelSums.reduce(ChannelSums.Kind.SUM, x, null, null, vector)[0];
    }

    private static double[][] sumAndDot(INDArray x, INDArray y, boolean vector) {
        return ChannelSums.reduce(ChannelSums.Kind.SUM_AND_DOT, x, y, null, vector);
    }
    /** x[n, c, h, w] = offset + scale·N(0, 1), float32, seeded. */
    private static INDArray randn(long seed, double offset, double scale, int n, int c, int h, int w) {
        Random r = new Random(seed);
        float[] v = new float[n * c * h * w];
        for (int i = 0; i < v.length; i++) v[i] = (float) (offset + scale * r.nextGaussian());
        return Nd4j.create(v, new long[] {n, c, h, w});
    }

    /** Σ over n, h, w of f(x[n, c, h, w], y[n, c, h, w]) in double by index. */
    private static double[] reference(INDArray x, INDArray y, boolean product) {
        long n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
        double[] out = new double[(int) c];
        for (long a = 0; a < n; a++)
            for (long b = 0; b < c; b++)
                for (long i = 0; i < h; i++)
                    for (long j = 0; j < w; j++) {
                        double v = x.getDouble(a, b, i, j);
                        out[(int) b] += product ? v * y.getDouble(a, b, i, j) : v;
                    }
        return out;
    }

    private static void assertClose(double[] expected, double[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            // Both are double sums of the same float values: they differ only by double rounding (n·2⁻⁵³ relative).
            assertEquals(expected[i], actual[i], 1e-12 * Math.max(1, Math.abs(expected[i])), what + " channel " + i);
        }
    }

    @Test
    void sumsAndDotsInBothLayouts() {
        // 7 channels: the Vector API's loops take channels 0–3 channels last, the plain loops 4–6; 7·9 values per
        // plane: a tail after the four-lane loop in NCHW; 3·7·9 pixels: a tail after the four-pixel blocks.
        INDArray x = randn(1, 3.0, 0.5, 3, 7, 7, 9), y = randn(2, -1.0, 2.0, 3, 7, 7, 9);
        double[] s = reference(x, null, false), d = reference(x, y, true);
        INDArray xl = Tensors.toChannelsLast(x), yl = Tensors.toChannelsLast(y); // pooled [N, H, W, C] views
        for (boolean vector : LOOPS) {
            String loops = vector ? "vector " : "plain ";
            assertClose(s, sum(x, vector), loops + "C-contiguous sum");
            assertClose(d, sumAndDot(x, y, vector)[1], loops + "C-contiguous dot");
            assertClose(s, sum(xl, vector), loops + "channels-last sum");
            assertClose(d, sumAndDot(xl, yl, vector)[1], loops + "channels-last dot");
            for (INDArray[] xy : new INDArray[][] {{x, y}, {xl, yl}}) { // the one-pass pair BatchNorm's backward takes
                double[][] both = sumAndDot(xy[0], xy[1], vector);
                assertClose(s, both[0], loops + "sumAndDot's sum");
                assertClose(d, both[1], loops + "sumAndDot's dot");
            }
        }
        assertClose(d, ChannelSums.dot(xl, yl), "the default loops' dot");
    }

    @Test
    void meanAndVarianceSurviveALargeMean() {
        // |mean| = 1e4·std: E[x²] − mean² in float would have no digit left; in double the shifted sums keep ~8.
        // 6 channels: four on the Vector API's loops, two on the plain ones (channels last).
        INDArray x = randn(3, 1e4, 1.0, 4, 6, 6, 6);
        double[] s = reference(x, null, false);
        long m = 4 * 36;
        double[] mean = new double[6], var = new double[6];
        for (int c = 0; c < 6; c++) {
            mean[c] = s[c] / m;
            for (long a = 0; a < 4; a++) for (long i = 0; i < 6; i++) for (long j = 0; j < 6; j++) {
                double dv = x.getDouble(a, c, i, j) - mean[c];
                var[c] += dv * dv / m;
            }
        }
        for (boolean vector : LOOPS) {
            for (INDArray layout : new INDArray[] {x, Tensors.toChannelsLast(x)}) {
                double[][] mv = ChannelSums.meanAndVariance(layout, vector);
                for (int c = 0; c < 6; c++) {
                    assertEquals(mean[c], mv[0][c], 1e-12 * Math.abs(mean[c]), "mean " + c);
                    assertEquals(var[c], mv[1][c], 1e-7 * var[c], "variance " + c);
                }
            }
        }
    }

    @Test
    void largeTensorsSplitOverThreadsGiveTheSameSums() {
        // 16·8·96·96 > 2²⁰ elements: the parallel path; its partial sums must add up to the single-thread ones.
        INDArray x = randn(4, 0.5, 1.0, 16, 8, 96, 96);
        double[] s = reference(x, null, false);
        for (boolean vector : LOOPS) {
            assertClose(s, sum(x, vector), "parallel sum");
            assertClose(s, sum(Tensors.toChannelsLast(x), vector), "parallel channels-last sum");
        }
    }

    /**
     * BatchNorm2d.backward's pass: g = (mask ≤ 0 ? 0 : dy), Σ g and Σ g·x per channel, out ← g·scale. 7 channels: the
     * scale entirely in plain loops; 21: the Vector API's eight-lane loop for channels 0–15, the plain one for 16–20.
     */
    @ParameterizedTest
    @ValueSource(ints = {7, 21})
    void backwardSumsFoldTheReluMaskAndTheScale(int c) {
        INDArray dy = randn(6, 0, 1, 3, c, 5, 6), x = randn(7, 1, 2, 3, c, 5, 6), mask = randn(8, 0, 1, 3, c, 5, 6);
        mask.putScalar(new long[] {0, 1, 2, 3}, Float.NaN); // NaN passes dy (PyTorch's threshold_backward: not ≤ 0)
        mask.putScalar(new long[] {1, 2, 3, 4}, 0f);        // exactly 0 blocks it
        double[] base = {0.5, -1.25, 3.0f / 7, 2, 1e-3, -0.75, 1.0f / 3};
        double[] scale = new double[c];                     // float values, as BatchNorm's scale
        for (int b = 0; b < c; b++) scale[b] = (float) (base[b % 7] * (1 + b / 7));
        INDArray g = dy.dup();
        for (long a = 0; a < 3; a++) for (long b = 0; b < c; b++) for (long i = 0; i < 5; i++) for (long j = 0; j < 6; j++) {
            if (mask.getDouble(a, b, i, j) <= 0) g.putScalar(new long[] {a, b, i, j}, 0f);
        }
        double[] s = reference(g, null, false), d = reference(g, x, true);
        INDArray scaled = g.dup();
        for (long b = 0; b < c; b++) scaled.get(all(), point(b), all(), all()).muli((float) scale[(int) b]);
        for (boolean vector : LOOPS) {
            for (boolean last : new boolean[] {false, true}) {
                String what = (vector ? "vector " : "plain ") + (last ? "channels-last " : "NCHW ");
                INDArray dyl = last ? Tensors.toChannelsLast(dy) : dy.dup(), xl = last ? Tensors.toChannelsLast(x) : x;
                INDArray ml = last ? Tensors.toChannelsLast(mask) : mask;
                INDArray out = last ? Tensors.toChannelsLast(Nd4j.zerosLike(dy)) : Nd4j.zerosLike(dy);
                double[][] sums = ChannelSums.backwardSums(dyl, xl, ml, scale, out, vector);
                assertClose(s, sums[0], what + "masked sum");
                assertClose(d, sums[1], what + "masked dot");
                assertTrue(scaled.equalsWithEps(out.dup('c'), 0), what + "g·scale, each a float product");
                sums = ChannelSums.backwardSums(dyl, xl, ml, null, dyl, vector); // in place, no scale
                assertClose(d, sums[1], what + "masked dot, in place");
                assertTrue(g.equalsWithEps(dyl.dup('c'), 0), what + "the masked gradient written back");
                INDArray fresh = last ? Tensors.toChannelsLast(dy) : dy.dup();
                assertClose(reference(dy, x, true), ChannelSums.backwardSums(fresh, xl, null, null, null, vector)[1],
                        what + "unmasked dot");
                assertTrue(dy.equalsWithEps(fresh.dup('c'), 0), what + "nothing written without an output");
            }
        }
        // Double arrays (the gradient checks) take the element loop.
        INDArray out = Nd4j.zerosLike(dy).castTo(DataType.DOUBLE);
        double[][] sums = ChannelSums.backwardSums(dy.castTo(DataType.DOUBLE), x.castTo(DataType.DOUBLE),
                mask.castTo(DataType.DOUBLE), scale, out);
        assertClose(d, sums[1], "double masked dot");
        assertEquals(g.getDouble(2, 3, 4, 5) * scale[3], out.getDouble(2, 3, 4, 5), 0.0, "double g·scale");
    }

    @Test
    void doubleArraysToo() {
        INDArray x = randn(5, 0, 1, 2, 3, 4, 5).castTo(DataType.DOUBLE);
        assertClose(reference(x, null, false), ChannelSums.sum(x), "double sum");
    }
}
