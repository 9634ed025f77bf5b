package org.clip4j.core.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference gradient checks (double precision) of the ResNet layers, and their forward passes against
 * direct definitions: Conv2d (strides 1 and 2, padding 0 and 1, 1×1 and 3×3), BatchNorm2d in both modes,
 * AvgPool2d (including floor-mode cropping), Relu, AttentionPool2d and Bottleneck blocks.
 */
@org.junit.jupiter.api.extension.ExtendWith(OneThread.class)
class ResNetLayersGradientTest {
    /** A module without entries, for the parameter-free layers. */
    private static final Module NONE = new Module("none") {
    };

    @Test
    void conv2dGradients() {
        int[][] cases = {{3, 1, 1}, {3, 2, 1}, {1, 1, 0}, {3, 1, 0}, {3, 2, 0}}; // kernel, stride, padding
        for (Conv2d.Algorithm a : Conv2d.Algorithm.values()) {
            for (int[] c : cases) {
                Conv2d conv = new Conv2d("conv", 3, 4, c[0], c[1], c[2]).algorithm(a);
                GradCheck.randomize(conv, 1, 0.5);
                INDArray x = GradCheck.randn(2, 2, 3, 7, 6); // odd/even sides exercise the stride-2 edges
                GradCheck.check(conv, layer(conv::forward, conv::backward), x, true);
            }
        }
    }

    @Test
    void conv2dForwardMatchesDefinition() {
        for (int[] c : new int[][] {{3, 2, 1}, {3, 1, 0}, {1, 1, 0}, {3, 2, 1, 1}, {3, 1, 0, 1}, {1, 1, 0, 1}}) {
            int k = c[0], s = c[1], p = c[2];
            Conv2d conv = new Conv2d("conv", 3, 5, k, s, p)
                    .algorithm(c.length > 3 ? Conv2d.Algorithm.NATIVE : Conv2d.Algorithm.IM2COL);
            GradCheck.randomize(conv, 3, 1);
            INDArray x = GradCheck.randn(4, 2, 3, 6, 5);
            INDArray y = conv.forward(x, null);
            INDArray w = conv.weight().value();
            assertArrayEquals(new long[] {2, 5, conv.outSize(6), conv.outSize(5)}, y.shape());
            for (int n = 0; n < 2; n++) {
                for (int o = 0; o < 5; o++) {
                    for (int i = 0; i < y.size(2); i++) {
                        for (int j = 0; j < y.size(3); j++) {
                            double acc = 0;
                            for (int ci = 0; ci < 3; ci++) {
                                for (int u = 0; u < k; u++) {
                                    for (int v = 0; v < k; v++) {
                                        int r = i * s - p + u, q = j * s - p + v;
                                        if (r >= 0 && r < 6 && q >= 0 && q < 5) {
                                            acc += x.getDouble(n, ci, r, q) * w.getDouble(o, ci, u, v);
                                        }
                                    }
                                }
                            }
                            assertEquals(acc, y.getDouble(n, o, i, j), 1e-12);
                        }
                    }
                }
            }
        }
    }

    @Test
    void conv2dFloatAgreesWithDouble() {
        for (Conv2d.Algorithm a : Conv2d.Algorithm.values()) {
            Conv2d d = new Conv2d("conv", 4, 6, 3, 1, 1), f = new Conv2d("conv", 4, 6, 3, 1, 1).algorithm(a);
            GradCheck.randomize(d, 5, 0.3);
            f.weight().set(d.weight().value().castTo(DataType.FLOAT));
            INDArray x = GradCheck.randn(6, 2, 4, 5, 5);
            INDArray yd = d.forward(x, null), yf = f.forward(x.castTo(DataType.FLOAT), null);
            assertEquals(DataType.FLOAT, yf.dataType());
            assertEquals(0, yd.sub(yf.castTo(DataType.DOUBLE)).amaxNumber().doubleValue(), 1e-5);
        }
    }

    /**
     * Float forward and backward of both algorithms agree on ResNet-like shapes (stride 2 with padding, 3×3,
     * 1×1 with many channels), gradients accumulating across calls: the oneDNN kernels of the oneDNN builds
     * run here only in float, so this is where their wiring is compared with im2col.
     */
    @Test
    void conv2dAlgorithmsAgreeInFloat() {
        int[][] cases = {{3, 8, 3, 2, 1, 15}, {16, 16, 3, 1, 1, 9}, {64, 32, 1, 1, 0, 6}}; // in, out, k, s, p, H
        for (int[] c : cases) {
            Conv2d a = new Conv2d("conv", c[0], c[1], c[2], c[3], c[4]).algorithm(Conv2d.Algorithm.IM2COL);
            Conv2d b = new Conv2d("conv", c[0], c[1], c[2], c[3], c[4]).algorithm(Conv2d.Algorithm.NATIVE);
            GradCheck.randomize(a, 11, 0.2);
            a.weight().set(a.weight().value().castTo(DataType.FLOAT));
            b.weight().set(a.weight().value().dup());
            INDArray x = GradCheck.randn(12, 3, c[0], c[5], c[5] + 1).castTo(DataType.FLOAT);
            for (int step = 0; step < 2; step++) { // the second step checks that dW accumulates
                Tape ta = new Tape(), tb = new Tape();
                INDArray ya = a.forward(x, ta), yb = b.forward(x, tb);
                assertEquals(0, ya.sub(yb).amaxNumber().doubleValue(), 1e-5 * ya.amaxNumber().doubleValue());
                INDArray dy = GradCheck.randn(13 + step, ya.shape()).castTo(DataType.FLOAT);
                INDArray dxa = a.backward(dy, ta), dxb = b.backward(dy, tb);
                assertArrayEquals(x.shape(), dxb.shape());
                assertEquals(0, dxa.sub(dxb).amaxNumber().doubleValue(), 1e-5 * dxa.amaxNumber().doubleValue());
                INDArray ga = a.weight().grad(), gb = b.weight().grad();
                assertEquals(0, ga.sub(gb).amaxNumber().doubleValue(), 1e-5 * ga.amaxNumber().doubleValue());
            }
        }
    }

    @Test
    void batchNormInferenceGradients() {
        BatchNorm2d bn = batchNorm(7);
        INDArray x = GradCheck.randn(8, 2, 3, 4, 5).muli(2).addi(0.5);
        GradCheck.check(bn, layer(bn::forward, bn::backward), x, true);
    }

    @Test
    void batchNormTrainingGradientsGoThroughTheBatchStatistics() {
        BatchNorm2d bn = batchNorm(9);
        bn.train(true);
        INDArray x = GradCheck.randn(10, 3, 3, 2, 3).muli(2).addi(0.5);
        GradCheck.check(bn, layer(bn::forward, bn::backward), x, true);
    }

    @Test
    void batchNormTrainingForwardAndRunningStatisticsByHand() {
        BatchNorm2d bn = new BatchNorm2d("bn", 2);
        Init init = new Init(0, DataType.DOUBLE);
        bn.resetParameters(init);
        bn.weight().set(Nd4j.createFromArray(2.0, 1.0));
        bn.bias().set(Nd4j.createFromArray(0.0, -1.0));
        bn.runningMean().set(Nd4j.createFromArray(1.0, -2.0));
        bn.runningVar().set(Nd4j.createFromArray(3.0, 0.5));
        bn.train(true);
        // Channel 0 holds 1, 2, 3, 6 and channel 1 holds 0, 0, 4, 4 (N = 2, H = 1, W = 2).
        INDArray x = Nd4j.createFromArray(new double[][][][] {{{{1, 2}}, {{0, 0}}}, {{{3, 6}}, {{4, 4}}}});
        Tape tape = new Tape();
        INDArray y = bn.forward(x, tape);
        // Channel 0: mean 3, biased var (4+1+0+9)/4 = 3.5, unbiased 14/3. Channel 1: mean 2, var 4, unbiased 16/3.
        assertEquals(2 * (1 - 3) / Math.sqrt(3.5 + 1e-5), y.getDouble(0, 0, 0, 0), 1e-12);
        assertEquals((4 - 2) / Math.sqrt(4 + 1e-5) - 1, y.getDouble(1, 1, 0, 1), 1e-12);
        assertEquals(0.9 * 1 + 0.1 * 3, bn.runningMean().value().getDouble(0), 1e-12);
        assertEquals(0.9 * -2 + 0.1 * 2, bn.runningMean().value().getDouble(1), 1e-12);
        assertEquals(0.9 * 3 + 0.1 * 14 / 3.0, bn.runningVar().value().getDouble(0), 1e-12);
        assertEquals(0.9 * 0.5 + 0.1 * 16 / 3.0, bn.runningVar().value().getDouble(1), 1e-12);
        assertEquals(1L, bn.numBatchesTracked().value().getLong(0));
        bn.backward(Nd4j.onesLike(y), tape).close();
        tape.close();
        // A training forward without a tape (feature caching's first pass) uses batch statistics but does not
        // update the running ones: each micro-batch updates them once, in its pass with gradient.
        INDArray y2 = bn.forward(x, null);
        assertEquals(y.getDouble(0, 0, 0, 0), y2.getDouble(0, 0, 0, 0), 1e-12);
        assertEquals(0.9 * 1 + 0.1 * 3, bn.runningMean().value().getDouble(0), 1e-12);
        assertEquals(1L, bn.numBatchesTracked().value().getLong(0));
        try (Tape t2 = new Tape()) {
            INDArray y3 = bn.forward(x, t2);
            bn.backward(Nd4j.onesLike(y3), t2).close();
        }
        assertEquals(2L, bn.numBatchesTracked().value().getLong(0));

        // Inference uses the running statistics and leaves them alone.
        bn.train(false);
        double rm = bn.runningMean().value().getDouble(0), rv = bn.runningVar().value().getDouble(0);
        INDArray e = bn.forward(x, null);
        assertEquals(2 * (6 - rm) / Math.sqrt(rv + 1e-5), e.getDouble(1, 0, 0, 1), 1e-12);
        assertEquals(rm, bn.runningMean().value().getDouble(0), 0);
        assertEquals(2L, bn.numBatchesTracked().value().getLong(0));
    }

    @Test
    void channelsLastBatchStatisticsAreTwoPassInFloat() {
        // Channel 0 holds 10000 + {1, 2, 3, 6} (mean 10003, biased var 3.5): E[x²] − mean² in float would lose
        // every digit of the variance (x² ≈ 1e8, float spacing 8). Channel 1 holds 0, 0, 4, 4 (var 4).
        BatchNorm2d bn = new BatchNorm2d("bn", 2);
        bn.resetParameters(new Init(0, DataType.FLOAT));
        bn.train(true);
        INDArray x = Tensors.toChannelsLast(Nd4j.createFromArray(new float[][][][] {
                {{{10001, 10002}}, {{0, 0}}}, {{{10003, 10006}}, {{4, 4}}}}));
        try (Tape tape = new Tape()) {
            INDArray y = bn.forward(x, tape);
            assertTrue(Tensors.isChannelsLast(y));
            assertEquals(-2 / Math.sqrt(3.5 + 1e-5), y.getDouble(0, 0, 0, 0), 1e-5);
            assertEquals(3 / Math.sqrt(3.5 + 1e-5), y.getDouble(1, 0, 0, 1), 1e-5);
            assertEquals(2 / Math.sqrt(4 + 1e-5), y.getDouble(1, 1, 0, 1), 1e-6);
            // Running statistics: 0.9·0 + 0.1·mean and 0.9·1 + 0.1·unbiased var (14/3 and 16/3).
            assertEquals(0.1 * 10003, bn.runningMean().value().getDouble(0), 1e-3);
            assertEquals(0.9 + 0.1 * 14 / 3.0, bn.runningVar().value().getDouble(0), 1e-5);
            assertEquals(0.9 + 0.1 * 16 / 3.0, bn.runningVar().value().getDouble(1), 1e-6);
        }
    }

    @Test
    void avgPoolGradientsAndValues() {
        AvgPool2d pool = new AvgPool2d(2);
        INDArray x = GradCheck.randn(11, 2, 3, 4, 6);
        GradCheck.check(NONE, layer(pool::forward, pool::backward), x, true);
        INDArray y = pool.forward(x, null);
        assertArrayEquals(new long[] {2, 3, 2, 3}, y.shape());
        double want = (x.getDouble(1, 2, 2, 4) + x.getDouble(1, 2, 2, 5) + x.getDouble(1, 2, 3, 4)
                + x.getDouble(1, 2, 3, 5)) / 4;
        assertEquals(want, y.getDouble(1, 2, 1, 2), 1e-12);
    }

    @Test
    void avgPoolFloorModeDropsTheRemainder() {
        AvgPool2d pool = new AvgPool2d(3);
        INDArray x = GradCheck.randn(12, 1, 2, 7, 8); // 7×8 → 2×2, the last row and last two columns unused
        GradCheck.check(NONE, layer(pool::forward, pool::backward), x, true);
        INDArray y = pool.forward(x, null);
        assertArrayEquals(new long[] {1, 2, 2, 2}, y.shape());
        double sum = 0;
        for (int i = 3; i < 6; i++) for (int j = 3; j < 6; j++) sum += x.getDouble(0, 1, i, j);
        assertEquals(sum / 9, y.getDouble(0, 1, 1, 1), 1e-12);
    }

    @Test
    void reluGradients() {
        Relu relu = new Relu();
        INDArray x = GradCheck.randn(13, 2, 3, 4, 4);
        GradCheck.check(NONE, layer(relu::forward, relu::backward), x, true);
    }

    @Test
    void attentionPoolGradients() {
        AttentionPool2d pool = new AttentionPool2d("attnpool", 2, 8, 2, 5); // 2×2 grid, 5 tokens, head dim 4
        GradCheck.randomize(pool, 14, 0.4);
        INDArray x = GradCheck.randn(15, 3, 8, 2, 2);
        GradCheck.Layer l = layer(pool::forward, pool::backward);
        INDArray r = GradCheck.randn(99, 3, 5);
        pool.zeroGrad();
        INDArray dx;
        try (Tape tape = new Tape()) {
            Tensors.release(pool.forward(x, tape));
            dx = pool.backward(r, tape);
            assertEquals(0, tape.size());
        }
        for (Parameter p : pool.parameters()) {
            if (p == pool.kProj().bias()) {
                // Adding the same vector to every key shifts all scores of a query equally: softmax ignores it,
                // so this gradient is zero in theory (rounding noise in practice, as the fixture README says).
                assertEquals(0, p.grad().amaxNumber().doubleValue(), 1e-12);
                continue;
            }
            GradCheck.compare(p.name(), p.grad(), p.value(), () -> GradCheck.objective(l, x, r), 16);
        }
        GradCheck.compare("input", dx, x, () -> GradCheck.objective(l, x, r), 16);
    }

    @Test
    void attentionPoolWithOneHeadMatchesDefinition() {
        AttentionPool2d pool = new AttentionPool2d("attnpool", 1, 3, 1, 2); // one pixel: tokens = [mean, pixel]
        GradCheck.randomize(pool, 16, 0.5);
        INDArray x = GradCheck.randn(17, 1, 3, 1, 1);
        INDArray y = pool.forward(x, null);
        // With one pixel both tokens are pixel + their positional row; softmax over the two keys of token 0.
        INDArray pos = pool.positionalEmbedding().value();
        INDArray pixel = x.reshape(1, 3);
        INDArray t = Nd4j.vstack(pixel.add(pos.getRow(0)), pixel.add(pos.getRow(1)));   // [2, 3]
        INDArray q = lin(pool.qProj(), t.getRow(0).reshape(1, 3)).muli(1 / Math.sqrt(3));
        INDArray k = lin(pool.kProj(), t), v = lin(pool.vProj(), t);
        INDArray s = q.mmul(k.transpose());                                                // [1, 2]
        double e0 = Math.exp(s.getDouble(0, 0)), e1 = Math.exp(s.getDouble(0, 1));
        INDArray o = v.getRow(0).mul(e0 / (e0 + e1)).add(v.getRow(1).mul(e1 / (e0 + e1))).reshape(1, 3);
        INDArray want = lin(pool.cProj(), o);
        assertEquals(0, y.sub(want).amaxNumber().doubleValue(), 1e-12);
    }

    @Test
    void bottleneckWithStrideAndDownsample() {
        Bottleneck b = bottleneck("layer2.0", 4, 2, 2, 18);
        INDArray x = GradCheck.randn(19, 2, 4, 4, 4);
        assertArrayEquals(new long[] {2, 8, 2, 2}, b.forward(x, null).shape());
        GradCheck.check(b, layer(b::forward, b::backward), x, true, 8);
    }

    @Test
    void bottleneckIdentity() {
        Bottleneck b = bottleneck("layer1.1", 8, 2, 1, 20);
        INDArray x = GradCheck.randn(21, 2, 8, 3, 3);
        GradCheck.check(b, layer(b::forward, b::backward), x, true, 8);
    }

    @Test
    void bottleneckInTrainingMode() {
        Bottleneck b = bottleneck("layer1.0", 3, 2, 1, 22); // channels change: 1×1 downsample without pool
        b.train(true);
        INDArray x = GradCheck.randn(23, 2, 3, 4, 4);
        GradCheck.check(b, layer(b::forward, b::backward), x, true, 8);
    }

    /**
     * Channels-last activations ({@link Tensors#isChannelsLast}), the layout the ResNet keeps with the native
     * convolutions: every layer takes them, gives correct gradients and keeps the layout.
     */
    @Test
    void channelsLastLayersGradientsAndLayout() {
        INDArray x = Tensors.toChannelsLast(GradCheck.randn(30, 2, 4, 4, 6));
        assertTrue(Tensors.isChannelsLast(x));
        for (int[] c : new int[][] {{3, 1, 1}, {1, 1, 0}, {3, 2, 1}, {1, 1, 0, 1}}) { // last: 1×1 via im2col's
            Conv2d conv = new Conv2d("conv", 4, 3, c[0], c[1], c[2])
                    .algorithm(c.length > 3 ? Conv2d.Algorithm.IM2COL : Conv2d.Algorithm.NATIVE);
            GradCheck.randomize(conv, 31, 0.5);
            assertTrue(Tensors.isChannelsLast(conv.forward(x, null)));
            GradCheck.check(conv, layer(conv::forward, conv::backward), x, true);
            INDArray dense = x.dup('c');                                 // same values from a C-contiguous x
            assertEquals(0, conv.forward(x, null).sub(conv.forward(dense, null)).amaxNumber().doubleValue(), 1e-12);
        }
        BatchNorm2d bn = new BatchNorm2d("bn", 4);
        GradCheck.randomize(bn, 32, 0.5);
        fixStatistics(bn, 32);
        assertTrue(Tensors.isChannelsLast(bn.forward(x, null)));
        GradCheck.check(bn, layer(bn::forward, bn::backward), x, true);
        bn.train(true);
        GradCheck.check(bn, layer(bn::forward, bn::backward), x, true);
        AvgPool2d pool = new AvgPool2d(2);
        assertTrue(Tensors.isChannelsLast(pool.forward(x, null)));
        GradCheck.check(NONE, layer(pool::forward, pool::backward), x, true);
        Relu relu = new Relu();
        GradCheck.check(NONE, layer(relu::forward, relu::backward), x, true);
        AttentionPool2d attn = new AttentionPool2d("attnpool", 2, 4, 2, 3);
        GradCheck.randomize(attn, 33, 0.4);
        INDArray small = Tensors.toChannelsLast(GradCheck.randn(34, 2, 4, 2, 2));
        INDArray want = attn.forward(small.dup('c'), null);
        assertEquals(0, attn.forward(small, null).sub(want).amaxNumber().doubleValue(), 1e-12);
        try (Tape tape = new Tape()) {
            INDArray y = attn.forward(small, tape);
            INDArray dx = attn.backward(Nd4j.onesLike(y), tape);
            assertTrue(Tensors.isChannelsLast(dx));
        }
    }

    @Test
    void channelsLastBottlenecks() {
        for (boolean training : new boolean[] {false, true}) {
            Bottleneck b = bottleneck("layer2.0", 4, 2, 2, 35);
            b.train(training);
            for (Conv2d c : b.convs()) c.algorithm(Conv2d.Algorithm.NATIVE);
            INDArray x = Tensors.toChannelsLast(GradCheck.randn(36, 2, 4, 4, 4));
            INDArray y = b.forward(x, null);
            assertTrue(Tensors.isChannelsLast(y));
            assertEquals(0, y.sub(b.forward(x.dup('c'), null)).amaxNumber().doubleValue(), 1e-12);
            GradCheck.check(b, layer(b::forward, b::backward), x, true, 8);
            Bottleneck id = bottleneck("layer1.1", 8, 2, 1, 37);
            id.train(training);
            for (Conv2d c : id.convs()) c.algorithm(Conv2d.Algorithm.NATIVE);
            GradCheck.check(id, layer(id::forward, id::backward), Tensors.toChannelsLast(GradCheck.randn(38, 2, 8, 3, 3)),
                    true, 8);
        }
    }

    private static Bottleneck bottleneck(String name, int in, int planes, int stride, long seed) {
        Bottleneck b = new Bottleneck(name, in, planes, stride);
        GradCheck.randomize(b, seed, 0.5);
        for (BatchNorm2d bn : b.batchNorms()) fixStatistics(bn, seed);
        return b;
    }

    private static BatchNorm2d batchNorm(long seed) {
        BatchNorm2d bn = new BatchNorm2d("bn", 3);
        GradCheck.randomize(bn, seed, 0.5);
        fixStatistics(bn, seed);
        return bn;
    }

    /** Positive running variances and an integer counter (randomize filled them with normals). */
    private static void fixStatistics(BatchNorm2d bn, long seed) {
        Random r = new Random(seed);
        double[] var = new double[(int) bn.channels()];
        for (int i = 0; i < var.length; i++) var[i] = 0.5 + r.nextDouble();
        bn.runningVar().set(Nd4j.create(var, new long[] {var.length}, DataType.DOUBLE));
        bn.numBatchesTracked().set(Nd4j.scalar(DataType.INT64, 0L));
    }

    /** x Wᵀ + b for a [rows, in] x. */
    private static INDArray lin(Linear l, INDArray x) {
        return x.mmul(l.weight().value().transpose()).addiRowVector(l.bias().value());
    }

    private static GradCheck.Layer layer(BiFunction<INDArray, Tape, INDArray> f, BiFunction<INDArray, Tape, INDArray> b) {
        return new GradCheck.Layer() {
            @Override
            public INDArray forward(INDArray x, Tape tape) {
                return f.apply(x, tape);
            }

            @Override
            public INDArray backward(INDArray dy, Tape tape) {
                return b.apply(dy, tape);
            }
        };
    }
}
