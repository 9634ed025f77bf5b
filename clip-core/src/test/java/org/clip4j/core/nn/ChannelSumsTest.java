package org.clip4j.core.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The double-accumulated per-channel sums against plain double loops over the same float values, in both dense
 * layouts, for a pooled channels-last view, and for tensors large enough to split over threads.
 */
class ChannelSumsTest {
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
        INDArray x = randn(1, 3.0, 0.5, 3, 5, 7, 9), y = randn(2, -1.0, 2.0, 3, 5, 7, 9);
        double[] s = reference(x, null, false), d = reference(x, y, true);
        assertClose(s, ChannelSums.sum(x), "C-contiguous sum");
        assertClose(d, ChannelSums.dot(x, y), "C-contiguous dot");
        INDArray xl = Tensors.toChannelsLast(x), yl = Tensors.toChannelsLast(y); // pooled [N, H, W, C] views
        assertClose(s, ChannelSums.sum(xl), "channels-last sum");
        assertClose(d, ChannelSums.dot(xl, yl), "channels-last dot");
        for (INDArray[] xy : new INDArray[][] {{x, y}, {xl, yl}}) { // the one-pass pair BatchNorm's backward takes
            double[][] both = ChannelSums.sumAndDot(xy[0], xy[1]);
            assertClose(s, both[0], "sumAndDot's sum");
            assertClose(d, both[1], "sumAndDot's dot");
        }
    }

    @Test
    void meanAndVarianceSurviveALargeMean() {
        // |mean| = 1e4·std: E[x²] − mean² in float would have no digit left; in double the shifted sums keep ~8.
        INDArray x = randn(3, 1e4, 1.0, 4, 3, 6, 6);
        double[][] mv = ChannelSums.meanAndVariance(Tensors.toChannelsLast(x));
        double[] s = reference(x, null, false);
        long m = 4 * 36;
        for (int c = 0; c < 3; c++) {
            double mean = s[c] / m, ss = 0;
            for (long a = 0; a < 4; a++) for (long i = 0; i < 6; i++) for (long j = 0; j < 6; j++) {
                double dv = x.getDouble(a, c, i, j) - mean;
                ss += dv * dv;
            }
            assertEquals(mean, mv[0][c], 1e-12 * Math.abs(mean));
            assertEquals(ss / m, mv[1][c], 1e-7 * ss / m);
        }
    }

    @Test
    void largeTensorsSplitOverThreadsGiveTheSameSums() {
        // 16·8·96·96 > 2²⁰ elements: the parallel path; its partial sums must add up to the single-thread ones.
        INDArray x = randn(4, 0.5, 1.0, 16, 8, 96, 96);
        double[] s = reference(x, null, false);
        assertClose(s, ChannelSums.sum(x), "parallel sum");
        assertClose(s, ChannelSums.sum(Tensors.toChannelsLast(x)), "parallel channels-last sum");
    }

    @Test
    void doubleArraysToo() {
        INDArray x = randn(5, 0, 1, 2, 3, 4, 5).castTo(DataType.DOUBLE);
        assertClose(reference(x, null, false), ChannelSums.sum(x), "double sum");
    }
}
