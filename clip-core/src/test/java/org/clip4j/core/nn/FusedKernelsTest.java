package org.clip4j.core.nn;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.nd4j.linalg.ops.transforms.Transforms.abs;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused float32 kernels against closed forms evaluated in double, and the float32 layers (which take the
 * fused paths) against the same layers in double precision (which take ND4J's paths, checked by finite
 * differences in {@link LayersGradientTest}), with the fused paths on and off.
 *
 * <p>Tolerances from float32 rounding (u = 2⁻²⁴): a kernel output is a chain of at most ~8 float roundings over
 * sums formed in double, so its error is ≤ 8u·(|terms|) plus the cancellation in x − mean; we allow 32u relative
 * to the row's scale. A layer's output adds the float32 matrix products (error ≤ K·u·Σ|a||b| for a sum of K
 * terms, typically √K·u): we allow 8·K·u relative to the largest value, K the longest sum in the layer. A wrong
 * formula, a skipped mask, a missing accumulation or a read of stale pooled memory is off by O(1).
 */
class FusedKernelsTest {
    private static final double U = Math.ulp(1.0f) / 2; // 2⁻²⁴

    @AfterEach
    void restore() {
        Kernels.setEnabled(true);
    }

    // ------------------------------------------------------------------------------------ kernels vs closed forms

    @Test
    void layerNormForwardAndBackwardMatchTheDefinition() {
        for (long[] shape : new long[][] {{3, 5, 7}, {2, 300, 129}}) { // odd widths; the second splits over threads
            int w = (int) shape[2], rows = (int) (shape[0] * shape[1]);
            double[] x = gaussian(1, rows * w, 3.0, 1.5), gain = gaussian(2, w, 0.7, 1), shift = gaussian(3, w, 0.5, 0);
            double[] dy = gaussian(4, rows * w, 1, 0);
            INDArray xf = floats(x, shape), y = Nd4j.create(DataType.FLOAT, shape), xhat = Nd4j.create(DataType.FLOAT, shape);
            INDArray rstd = Nd4j.create(DataType.FLOAT, rows, 1);
            Kernels.layerNormForward(xf, floats(gain, w), floats(shift, w), LayerNorm.EPS, y, xhat, rstd);
            INDArray dx = Nd4j.create(DataType.FLOAT, shape);
            INDArray dw = floats(gaussian(5, w, 1, 0), w), db = floats(gaussian(6, w, 1, 0), w); // accumulated into
            double[] dw0 = values(dw), db0 = values(db);
            Kernels.layerNormBackward(floats(dy, shape), xhat, rstd, floats(gain, w), dx, dw, db);

            double[] yRef = new double[rows * w], dxRef = new double[rows * w];
            double[] dwRef = dw0.clone(), dbRef = db0.clone();
            for (int r = 0; r < rows; r++) {
                double mean = 0, var = 0;
                for (int j = 0; j < w; j++) mean += x[r * w + j] / w;
                for (int j = 0; j < w; j++) var += (x[r * w + j] - mean) * (x[r * w + j] - mean) / w;
                double rs = 1 / Math.sqrt(var + LayerNorm.EPS), mg = 0, mgx = 0;
                for (int j = 0; j < w; j++) {
                    double h = (x[r * w + j] - mean) * rs, g = dy[r * w + j] * gain[j];
                    yRef[r * w + j] = h * gain[j] + shift[j];
                    mg += g / w;
                    mgx += g * h / w;
                    dwRef[j] += dy[r * w + j] * h;
                    dbRef[j] += dy[r * w + j];
                }
                for (int j = 0; j < w; j++) {
                    double h = (x[r * w + j] - mean) * rs;
                    dxRef[r * w + j] = rs * (dy[r * w + j] * gain[j] - mg - h * mgx);
                }
            }
            assertClose("y", yRef, y, 32 * U);
            assertClose("dx", dxRef, dx, 32 * U);
            // column sums over `rows` float products, accumulated in float over ≤ FLUSH rows then in double
            assertClose("dweight", dwRef, dw, 4 * Kernels.FLUSH * U);
            assertClose("dbias", dbRef, db, 4 * Kernels.FLUSH * U);
        }
    }

    @Test
    void quickGeluDerivativeFromTheForwardOutputMatchesTheDefinition() {
        double[] u = gaussian(7, 70_001, 4, 0); // odd length, several chunks and threads
        u[0] = -500; // σ underflows: h = −0
        u[1] = 500;
        u[2] = 0;
        u[3] = -60; // σ subnormal
        u[4] = 1e-35;
        double[] dy = gaussian(8, u.length, 1, 0);
        INDArray uf = floats(u, u.length), dx = Nd4j.create(DataType.FLOAT, u.length);
        INDArray h = Activation.QUICK_GELU.forward(uf); // the layer's forward (ND4J's native op)
        Kernels.quickGeluBackward(uf, h, floats(dy, u.length), dx);
        double[] hRef = new double[u.length], dxRef = new double[u.length];
        for (int i = 0; i < u.length; i++) {
            double ui = (float) u[i], s = 1 / (1 + Math.exp(-Activation.K * ui));
            hRef[i] = ui * s;
            dxRef[i] = (float) dy[i] * (s + Activation.K * ui * s * (1 - s));
        }
        assertClose("h", hRef, h, 8 * U);
        assertClose("dx", dxRef, dx, 16 * U);
        assertEquals(0.0, h.getDouble(0), 0.0);
        assertEquals(500.0, h.getDouble(1), 0.0);
        assertEquals(0.5 * dy[2], dx.getDouble(2), 1e-7);
    }

    @Test
    void softmaxBackwardMatchesTheDefinitionWithAndWithoutTheCausalMask() {
        for (boolean causal : new boolean[] {false, true}) {
            int b = 3, h = 2, t = 77, rows = b * h * t;
            double[] s = gaussian(9, rows * t, 3, 0), dp = gaussian(10, rows * t, 1, 0);
            for (int r = 0; r < rows && causal; r++) for (int j = r % t + 1; j < t; j++) s[r * t + j] = Double.NEGATIVE_INFINITY;
            INDArray p = floats(s, b, h, t, t);
            MultiheadAttention.softmaxLastInPlace(p); // the layer's forward (ND4J's native op)
            INDArray d = floats(dp, b, h, t, t);
            Kernels.softmaxBackwardInPlace(p, d);
            double[] pRef = new double[rows * t], dRef = new double[rows * t];
            for (int r = 0; r < rows; r++) {
                int valid = causal ? r % t + 1 : t;
                double max = Double.NEGATIVE_INFINITY, total = 0, dot = 0;
                for (int j = 0; j < valid; j++) max = Math.max(max, (float) s[r * t + j]);
                for (int j = 0; j < valid; j++) total += Math.exp((float) s[r * t + j] - max);
                for (int j = 0; j < valid; j++) pRef[r * t + j] = Math.exp((float) s[r * t + j] - max) / total;
                for (int j = 0; j < t; j++) dot += pRef[r * t + j] * (float) dp[r * t + j];
                for (int j = 0; j < t; j++) dRef[r * t + j] = pRef[r * t + j] * ((float) dp[r * t + j] - dot);
                for (int j = valid; j < t; j++) assertEquals(0.0, p.getDouble(r / (h * t), r / t % h, r % t, j), 0.0);
            }
            assertClose("p causal=" + causal, pRef, p, 16 * U);
            assertClose("dS causal=" + causal, dRef, d, 32 * U);
        }
    }

    @Test
    void columnSumsAddIntoTheTarget() {
        int rows = 1000, w = 67; // over FLUSH rows, over the parallel threshold
        double[] x = gaussian(11, rows * w, 1, 0.25), t0 = gaussian(12, w, 1, 0);
        INDArray target = floats(t0, w);
        Kernels.addColumnSums(floats(x, rows, w), target);
        double[] ref = t0.clone();
        for (int r = 0; r < rows; r++) for (int j = 0; j < w; j++) ref[j] += (float) x[r * w + j];
        assertClose("sums", ref, target, 4 * Kernels.FLUSH * U);
    }

    @Test
    void headSplitAndMergeArePermutationsWithTheQueryScale() {
        int b = 3, t = 5, parts = 3, heads = 4, hd = 6;
        INDArray src = floats(gaussian(16, b * t * parts * heads * hd, 1, 0), b, t, parts, heads, hd);
        INDArray heads5 = Nd4j.create(DataType.FLOAT, parts, b, heads, t, hd);
        heads5.assign(Double.NaN);
        Kernels.toHeads(src, heads5, b, t, parts, heads, hd, 0.5f);
        INDArray want = src.permute(2, 0, 3, 1, 4).dup('c');
        want.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0)).muli(0.5);
        assertTrue(java.util.Arrays.equals(values(want), values(heads5)), "toHeads");
        INDArray back = Nd4j.create(DataType.FLOAT, b, t, parts, heads, hd);
        back.assign(Double.NaN);
        Kernels.fromHeads(heads5, back, b, t, parts, heads, hd, 2f);
        assertTrue(java.util.Arrays.equals(values(src), values(back)), "fromHeads(toHeads(x)) = x"); // ×0.5×2 exact
    }

    @Test
    void channelsLastIm2colPicksEveryTapOrZero() {
        int n = 2, h = 7, w = 6, c = 5;
        double[] x = gaussian(13, n * h * w * c, 1, 0);
        for (int[] ksp : new int[][] {{3, 1, 1}, {3, 2, 1}, {3, 2, 0}, {1, 2, 0}}) {
            int k = ksp[0], st = ksp[1], pad = ksp[2];
            int oh = (h + 2 * pad - k) / st + 1, ow = (w + 2 * pad - k) / st + 1;
            INDArray cols = Nd4j.create(DataType.FLOAT, (long) n * oh * ow, (long) k * k * c);
            Kernels.im2colChannelsLast(floats(x, n, h, w, c), k, st, pad, cols);
            double[] got = values(cols);
            for (int i = 0; i < n; i++) for (int p = 0; p < oh; p++) for (int q = 0; q < ow; q++) {
                for (int u = 0; u < k; u++) for (int v = 0; v < k; v++) for (int ch = 0; ch < c; ch++) {
                    int ih = p * st - pad + u, iw = q * st - pad + v;
                    double want = ih < 0 || ih >= h || iw < 0 || iw >= w ? 0 : (float) x[((i * h + ih) * w + iw) * c + ch];
                    int row = (i * oh + p) * ow + q, col = (u * k + v) * c + ch;
                    assertEquals(want, got[row * k * k * c + col], 0.0, "k" + k + " s" + st + " p" + pad);
                }
            }
        }
    }

    /** col2im is im2col's adjoint: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for every x and c (sums in double). */
    @Test
    void channelsLastCol2imIsTheAdjointOfIm2col() {
        int n = 3, h = 7, w = 6, c = 4;
        for (int[] ksp : new int[][] {{3, 1, 1}, {3, 2, 1}, {3, 2, 0}, {1, 2, 0}}) {
            int k = ksp[0], st = ksp[1], pad = ksp[2];
            int oh = (h + 2 * pad - k) / st + 1, ow = (w + 2 * pad - k) / st + 1, m = n * oh * ow, kk = k * k * c;
            double[] x = gaussian(14, n * h * w * c, 1, 0), dc = gaussian(15, m * kk, 1, 0);
            INDArray cols = Nd4j.create(DataType.FLOAT, m, kk), dx = Nd4j.create(DataType.FLOAT, n, h, w, c);
            dx.assign(Double.NaN); // every element must be written
            Kernels.im2colChannelsLast(floats(x, n, h, w, c), k, st, pad, cols);
            Kernels.col2imChannelsLast(floats(dc, m, kk), k, st, pad, dx);
            double[] cv = values(cols), dxv = values(dx);
            double left = 0, right = 0, scale = 0;
            for (int i = 0; i < cv.length; i++) {
                left += cv[i] * (float) dc[i];
                scale += Math.abs(cv[i] * (float) dc[i]);
            }
            for (int i = 0; i < dxv.length; i++) right += (float) x[i] * dxv[i];
            // dx sums at most k² float column entries per pixel: ≤ k²·u relative each
            assertEquals(left, right, 2 * k * k * U * scale, "k" + k + " s" + st + " p" + pad);
        }
    }

    /**
     * A channels-last float32 convolution with each algorithm (the channels-last im2col + GEMM, libnd4j's
     * {@code conv2d} ops, the batched IM2COL) against the same layer in double, NCHW (IM2COL); with and without a
     * folded affine map.
     */
    @Test
    void channelsLastConvolutionMatchesTheDoubleLayer() {
        for (Conv2d.Algorithm alg : Conv2d.Algorithm.values())
        for (int[] ksp : new int[][] {{3, 1, 1}, {3, 2, 1}, {1, 1, 0}, {1, 2, 0}}) {
            int k = ksp[0], st = ksp[1], pad = ksp[2], in = 6, out = 5;
            Conv2d d = new Conv2d("c", in, out, k, st, pad).algorithm(Conv2d.Algorithm.IM2COL);
            Conv2d f = new Conv2d("c", in, out, k, st, pad).algorithm(alg);
            GradCheck.randomize(d, 41, 0.3);
            GradCheck.randomize(f, 41, 0.3);
            toFloat(f);
            INDArray x = GradCheck.randn(42, 2, in, 9, 8);
            INDArray xl = Tensors.toChannelsLast(x.castTo(DataType.FLOAT));
            INDArray scale = GradCheck.randn(43, out), shift = GradCheck.randn(44, out);
            double[] ref = values(d.forward(x, null)), got = values(f.forward(xl, null).dup('c'));
            assertClose(alg + " conv k" + k + " s" + st, ref, Nd4j.createFromArray(got), 8.0 * in * k * k * U);
            double[] refA = values(d.forwardAffine(x, scale, shift));
            INDArray gotA = f.forwardAffine(xl, scale.castTo(DataType.FLOAT), shift.castTo(DataType.FLOAT));
            assertClose(alg + " conv+affine k" + k + " s" + st, refA, gotA.dup('c'), 8.0 * in * k * k * U);

            // training: forward with a tape, backward of a channels-last dy; dx and the weight gradient
            INDArray dy = GradCheck.randn(45, d.forward(x, null).shape());
            d.zeroGrad();
            f.zeroGrad();
            INDArray dxRef, dxGot;
            try (Tape tape = new Tape()) {
                d.forward(x, tape);
                dxRef = d.backward(dy, tape);
            }
            try (Tape tape = new Tape()) {
                f.forward(xl, tape);
                dxGot = f.backward(Tensors.toChannelsLast(dy.castTo(DataType.FLOAT)), tape);
            }
            long m = dy.length() / out; // the weight gradient sums over N·H'·W' pixels, dx over out·k·k terms
            assertClose(alg + " conv dx k" + k + " s" + st, values(dxRef), dxGot.dup('c'), 8.0 * out * k * k * U);
            assertClose(alg + " conv dW k" + k + " s" + st, values(d.weight().grad()), f.weight().grad(), 8.0 * m * U);
        }
    }

    /**
     * The attention's per-head products through {@link SmallGemm}, every transpose combination, against a double
     * loop over the same float values: operands that are views at an offset into a larger buffer (as q, k, v in
     * [3, B, H, T, hd]), a product split into row blocks (90·90·64 is above OpenBLAS's single-thread size), and a
     * batch large enough to be split over threads.
     */
    @Test
    void smallBatchedProductsMatchADoubleLoop() {
        for (int[] bhTd : new int[][] {{2, 3, 17, 8}, {2, 3, 90, 64}, {16, 8, 50, 64}}) {
            int bh = bhTd[0] * bhTd[1], t = bhTd[2], d = bhTd[3];
            INDArray all = GradCheck.randn(51, 3, bhTd[0], bhTd[1], t, d).castTo(DataType.FLOAT);
            INDArray sq = GradCheck.randn(52, bhTd[0], bhTd[1], t, t).castTo(DataType.FLOAT);
            INDArray q = all.get(point(1)), v = all.get(point(2));            // views at offsets
            assertTrue(q.offset() > 0);
            for (boolean tA : new boolean[] {false, true}) {
                for (boolean tB : new boolean[] {false, true}) {
                    // the attention's four: P·V, Q·Vᵀ (scores), Pᵀ·V (dV, dK), and Vᵀ·Pᵀ
                    INDArray a = !tA && tB ? q : tA && tB ? v : sq;
                    INDArray b = tA && tB ? sq : v;
                    long m = tA ? a.size(3) : a.size(2), k = tA ? a.size(2) : a.size(3), n = tB ? b.size(2) : b.size(3);
                    INDArray c = Nd4j.create(DataType.FLOAT, bhTd[0], bhTd[1], m, n);
                    assertTrue(SmallGemm.batched(a, b, c, tA, tB), "applies");
                    double[] av = values(a.dup('c')), bv = values(b.dup('c'));
                    double[] ref = new double[(int) (bh * m * n)];
                    double bound = 0;
                    for (int h = 0; h < bh; h++) {
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                double acc = 0, abs = 0;
                                for (int l = 0; l < k; l++) {
                                    double x = av[(int) (h * m * k + (tA ? l * m + i : i * k + l))];
                                    double y = bv[(int) (h * k * n + (tB ? j * k + l : l * n + j))];
                                    acc += x * y;
                                    abs += Math.abs(x * y);
                                }
                                ref[(int) ((h * m + i) * n + j)] = acc;
                                bound = Math.max(bound, abs);
                            }
                        }
                    }
                    // float products summed in float: ≤ k·u·Σ|x·y| per entry (assertClose scales by max |ref|)
                    double scale = 1;
                    for (double r : ref) scale = Math.max(scale, Math.abs(r));
                    assertClose("small gemm " + java.util.Arrays.toString(bhTd) + " tA=" + tA + " tB=" + tB, ref, c,
                            k * U * bound / scale);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------ layers: float vs double

    @Test
    void layersInFloatMatchTheirDoublePathsWithAndWithoutFusion() {
        for (boolean fused : new boolean[] {true, false}) {
            Kernels.setEnabled(fused);
            compareLayer("layernorm", 129, () -> new LayerNorm("ln", 129), m -> (LayerNorm) m,
                    new long[] {2, 300, 129}, LayerNorm::forward, LayerNorm::backward);
            compareLayer("mlp", 4 * 24, () -> new Mlp("mlp", 24, 96, Activation.QUICK_GELU), m -> (Mlp) m,
                    new long[] {3, 50, 24}, Mlp::forward, Mlp::backward);
            for (boolean causal : new boolean[] {false, true}) {
                compareLayer("attention causal=" + causal, 3 * 36, () -> new MultiheadAttention("attn", 36, 3, causal),
                        m -> (MultiheadAttention) m, new long[] {4, 77, 36}, MultiheadAttention::forward,
                        MultiheadAttention::backward);
            }
            compareLayer("block", 4 * 3 * 36, () -> new ResidualAttentionBlock("b", 36, 3, 4.0, Activation.QUICK_GELU, true),
                    m -> (ResidualAttentionBlock) m, new long[] {2, 77, 36}, ResidualAttentionBlock::forward,
                    ResidualAttentionBlock::backward);
        }
    }

    /**
     * ReLU's backward through the layer in float32, channels last and NCHW, with the kernels on and off: exactly
     * dy where the output is positive and 0 where it is 0, the closed form. (A one-pass Java kernel with
     * {@code Math.signum} was measured slower than libnd4j's sign and multiply on JDK 17, so both run the latter.)
     */
    @Test
    void reluBackwardKeepsDyExactlyWhereTheOutputIsPositive() {
        for (boolean fused : new boolean[] {true, false})
        for (boolean last : new boolean[] {false, true}) {
            Kernels.setEnabled(fused);
            INDArray x = GradCheck.randn(40, 2, 5, 6, 7).castTo(DataType.FLOAT);
            INDArray dy = GradCheck.randn(41, 2, 5, 6, 7).castTo(DataType.FLOAT);
            double[] xv = values(x), dyv = values(dy);
            if (last) {
                x = Tensors.toChannelsLast(x);
                dy = Tensors.toChannelsLast(dy);
            }
            Relu relu = new Relu();
            INDArray dx;
            try (Tape tape = new Tape()) {
                relu.forwardInPlace(x, tape);                            // x's layout: y's and the kernel's
                dx = relu.backward(dy, tape);
            }
            double[] got = values(dx);
            for (int i = 0; i < got.length; i++) {
                assertEquals(xv[i] > 0 ? dyv[i] : 0.0, got[i], 0.0, "fused=" + fused + " last=" + last + " at " + i);
            }
        }
    }

    /**
     * Train-mode BatchNorm in float32, NCHW and channels last, fused (the one-pass input gradient
     * {@link Kernels#channelAffine}) and not, against the same layer in double: output, input gradient and the
     * weight and bias gradients. The input gradient is a few float operations per element on statistics summed in
     * double (8·16·u of the largest value; a wrong channel or coefficient is off by O(1)).
     */
    @Test
    void trainModeBatchNormInFloatMatchesTheDoubleLayerInBothLayouts() {
        for (boolean fused : new boolean[] {true, false})
        for (boolean last : new boolean[] {false, true}) {
            Kernels.setEnabled(fused);
            BatchNorm2d d = new BatchNorm2d("bn", 6), f = new BatchNorm2d("bn", 6);
            for (BatchNorm2d bn : List.of(d, f)) {
                Init init = new Init(36, DataType.DOUBLE);
                for (Parameter p : bn.stateDict()) {
                    if (p.name().endsWith("num_batches_tracked")) p.set(Nd4j.scalar(DataType.INT64, 0L));
                    else if (p.name().endsWith("running_var")) p.set(Nd4j.ones(DataType.DOUBLE, 6));
                    else init.normal(p, 0.5);
                }
                bn.train(true);
            }
            toFloat(f);
            INDArray x = GradCheck.randn(37, 3, 6, 7, 5).addi(0.5), dy = GradCheck.randn(38, 3, 6, 7, 5);
            INDArray xf = x.castTo(DataType.FLOAT), dyf = dy.castTo(DataType.FLOAT);
            if (last) {
                xf = Tensors.toChannelsLast(xf);
                dyf = Tensors.toChannelsLast(dyf);
            }
            List<double[]> ref = run(d, x, dy, BatchNorm2d::forward, BatchNorm2d::backward);
            List<double[]> got = run(f, xf, dyf, BatchNorm2d::forward, BatchNorm2d::backward);
            String[] names = {"output", "input gradient", "weight gradient", "bias gradient"};
            for (int i = 0; i < ref.size(); i++) {
                assertClose("batchnorm fused=" + fused + " channelsLast=" + last + ": " + names[i], ref.get(i),
                        Nd4j.createFromArray(got.get(i)), 8.0 * 16 * U);
            }
        }
    }

    /**
     * BatchNorm → ReLU with the ReLU's backward folded into the BatchNorm's pass ({@link Relu#popOutput} +
     * {@code BatchNorm2d.backward(dy, tape, true, reluOutput)}), in inference and training mode, float32 in both
     * layouts, on the Vector API's loops and the plain ones: the same input gradient and parameter gradients as the
     * ReLU's own backward followed by the BatchNorm's (exactly: the same float operations on the same values, sums
     * in double added in the same order); and in double, the same against each other to double rounding.
     */
    @Test
    void batchNormWithTheReluFoldedGivesTheUnfoldedGradients() {
        try {
            for (boolean vector : new boolean[] {true, false})
            for (boolean train : new boolean[] {false, true})
            for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE})
            for (boolean last : new boolean[] {false, true}) {
                if (last && type == DataType.DOUBLE) continue; // double stays NCHW in the gradient checks
                VectorApi.setEnabled(vector);
                String what = "vector=" + vector + " train=" + train + " " + type + " channelsLast=" + last;
                List<List<double[]>> results = new ArrayList<>();
                for (boolean folded : new boolean[] {false, true}) {
                    BatchNorm2d bn = new BatchNorm2d("bn", 6);
                    Init init = new Init(46, DataType.DOUBLE);
                    for (Parameter p : bn.stateDict()) {
                        if (p.name().endsWith("num_batches_tracked")) p.set(Nd4j.scalar(DataType.INT64, 0L));
                        else init.normal(p, 0.5);
                        if (p.name().endsWith("running_var")) p.set(abs(p.value()).addi(0.5)); // seeded, positive
                    }
                    if (type == DataType.FLOAT) toFloat(bn);
                    bn.train(train);
                    INDArray x = GradCheck.randn(47, 3, 6, 7, 5).castTo(type), dy = GradCheck.randn(48, 3, 6, 7, 5).castTo(type);
                    if (last) {
                        x = Tensors.toChannelsLast(x);
                        dy = Tensors.toChannelsLast(dy);
                    }
                    Relu relu = new Relu();
                    List<double[]> out = new ArrayList<>();
                    try (Tape tape = new Tape()) {
                        INDArray y = relu.forwardInPlace(bn.forward(x, tape), tape);
                        out.add(values(y));
                        INDArray g = Tensors.copy4(dy), dx;
                        if (folded) {
                            INDArray reluOutput;
                            try (Scope s = Scope.open()) {
                                reluOutput = relu.popOutput(tape, s); // y itself: the record owns nothing
                            }
                            dx = bn.backward(g, tape, true, reluOutput);
                        } else {
                            dx = bn.backward(relu.backward(g, tape, true), tape, true);
                        }
                        out.add(values(dx));
                        Tensors.release(y, dx);
                    }
                    out.add(values(bn.weight().grad()));
                    out.add(values(bn.bias().grad()));
                    results.add(out);
                }
                String[] names = {"output", "input gradient", "weight gradient", "bias gradient"};
                for (int i = 0; i < names.length; i++) {
                    double[] a = results.get(0).get(i), b = results.get(1).get(i);
                    double tol = type == DataType.FLOAT ? 0.0 : 1e-14; // double: the sums' order differs
                    for (int j = 0; j < a.length; j++) {
                        assertEquals(a[j], b[j], tol * Math.max(1, Math.abs(a[j])), what + ": " + names[i] + " at " + j);
                    }
                }
            }
        } finally {
            VectorApi.setEnabled(true);
        }
    }

    /**
     * A pooled array has undefined contents: every fused path must write its outputs before reading them. After a
     * first training pass, every idle pooled buffer is filled with NaN; the second pass must be identical.
     */
    @Test
    void noFusedPathReadsStalePooledMemory() {
        ResidualAttentionBlock block = new ResidualAttentionBlock("b", 36, 3, 4.0, Activation.QUICK_GELU, true);
        GradCheck.randomize(block, 21, 0.3);
        toFloat(block);
        INDArray x = GradCheck.randn(22, 2, 77, 36).castTo(DataType.FLOAT);
        INDArray dy = GradCheck.randn(23, 2, 77, 36).castTo(DataType.FLOAT);
        List<double[]> first = pass(block, x, dy);
        BufferPool.fillIdle(Double.NaN);
        List<double[]> second = pass(block, x, dy);
        for (int i = 0; i < first.size(); i++) {
            assertTrue(java.util.Arrays.equals(first.get(i), second.get(i)), "output " + i + " changed after NaN poisoning");
        }
    }

    private static List<double[]> pass(ResidualAttentionBlock block, INDArray x, INDArray dy) {
        block.zeroGrad();
        List<double[]> out = new ArrayList<>();
        try (Tape tape = new Tape()) {
            INDArray y = block.forward(x, tape);
            INDArray dx = block.backward(dy, tape);
            out.add(values(y));
            out.add(values(dx));
            Tensors.release(y, dx);
        }
        for (Parameter p : block.parameters()) out.add(values(p.grad()));
        return out;
    }

    interface Fwd<M> {
        INDArray apply(M m, INDArray x, Tape t);
    }

    /**
     * Runs forward and backward of the same layer in double and in float (same parameters and inputs) and compares
     * outputs, input gradients and parameter gradients within 8·K·u of the largest double value.
     */
    private static <M extends Module> void compareLayer(String what, int k, java.util.function.Supplier<Module> make,
                                                       Function<Module, M> cast, long[] shape, Fwd<M> fwd, Fwd<M> bwd) {
        M d = cast.apply(make.get()), f = cast.apply(make.get());
        GradCheck.randomize(d, 31, 0.3);
        GradCheck.randomize(f, 31, 0.3);
        toFloat(f);
        INDArray x = GradCheck.randn(32, shape), dy = GradCheck.randn(33, shape);
        List<double[]> ref = run(d, x, dy, fwd, bwd), got = run(f, x.castTo(DataType.FLOAT), dy.castTo(DataType.FLOAT), fwd, bwd);
        String[] names = new String[ref.size()];
        names[0] = "output";
        names[1] = "input gradient";
        for (int i = 2; i < names.length; i++) names[i] = d.parameters().get(i - 2).name() + " gradient";
        for (int i = 0; i < ref.size(); i++) {
            assertClose(what + " (fused " + Kernels.enabled() + "): " + names[i], ref.get(i),
                    Nd4j.createFromArray(got.get(i)), 8.0 * k * U);
        }
    }

    private static <M extends Module> List<double[]> run(M m, INDArray x, INDArray dy, Fwd<M> fwd, Fwd<M> bwd) {
        m.zeroGrad();
        List<double[]> out = new ArrayList<>();
        try (Tape tape = new Tape()) {
            INDArray y = fwd.apply(m, x, tape);
            out.add(values(y));
            out.add(values(bwd.apply(m, dy, tape)));
        }
        for (Parameter p : m.parameters()) out.add(values(p.grad()));
        return out;
    }

    /** Replaces every parameter of m by its float32 copy (gradients follow the value's type). */
    private static void toFloat(Module m) {
        for (Parameter p : m.stateDict()) p.set(p.value().castTo(DataType.FLOAT));
    }

    // ------------------------------------------------------------------------------------ helpers

    private static double[] gaussian(long seed, int n, double std, double mean) {
        Random r = new Random(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = mean + std * r.nextGaussian();
        return v;
    }

    private static INDArray floats(double[] v, long... shape) {
        return Nd4j.create(v, shape, DataType.DOUBLE).castTo(DataType.FLOAT);
    }

    /** All values of {@code a} in C order, as doubles. */
    private static double[] values(INDArray a) {
        return a.dup('c').data().asDouble();
    }

    /** max |got − ref| ≤ tol · max(1, max |ref|). */
    private static void assertClose(String what, double[] ref, INDArray got, double tol) {
        double[] g = values(got);
        assertEquals(ref.length, g.length, what + ": length");
        double scale = 1, worst = 0;
        int at = -1;
        for (double r : ref) scale = Math.max(scale, Math.abs(r));
        for (int i = 0; i < ref.length; i++) {
            double e = Math.abs(g[i] - ref[i]);
            if (!(e <= worst)) {
                worst = e;
                at = i;
            }
        }
        assertTrue(worst <= tol * scale, what + ": error " + worst + " at " + at + " (got " + (at < 0 ? 0 : g[at])
                + ", expected " + (at < 0 ? 0 : ref[at]) + ") above " + tol * scale);
    }
}
