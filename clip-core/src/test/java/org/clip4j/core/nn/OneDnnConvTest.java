package org.clip4j.core.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Conv2d.Algorithm#ONEDNN} beyond {@link FusedKernelsTest}'s single forward/backward: that the binding
 * loads on the machines this project runs on (x86-64 Linux; otherwise every ONEDNN test would silently run the
 * fallback), that its weight gradient is added to what the gradient already holds, and that the primitives cached
 * per geometry follow the batch size and the layer. Reference: the same layer in double precision on the NCHW
 * IM2COL path; tolerances as FusedKernelsTest (float32 sums of in·k·k products, or N·H'·W' for dW).
 */
class OneDnnConvTest {
    private static final double U = Math.ulp(1.0f) / 2; // 2⁻²⁴

    @Test
    void theBindingLoadsAndIsTheDefault() {
        assertTrue(OneDnnConv.available(), "oneDNN's binding (org.bytedeco:dnnl, linux-x86_64) did not load");
        assertEquals(Conv2d.Algorithm.ONEDNN, Conv2d.defaultAlgorithm());
    }

    @Test
    void weightGradientIsAddedToTheAccumulatedOne() {
        int in = 5, out = 7, k = 3;
        Conv2d d = layer(in, out, k, 1, 1, Conv2d.Algorithm.IM2COL, DataType.DOUBLE);
        Conv2d f = layer(in, out, k, 1, 1, Conv2d.Algorithm.ONEDNN, DataType.FLOAT);
        INDArray x = GradCheck.randn(52, 3, in, 6, 5), dy = GradCheck.randn(53, 3, out, 6, 5);
        INDArray g0 = GradCheck.randn(54, out, in, k, k);
        d.weight().grad().assign(g0);
        f.weight().grad().assign(g0.castTo(DataType.FLOAT));
        for (int step = 0; step < 2; step++) {                   // two backwards: g0 + 2·dW
            try (Tape t = new Tape()) {
                d.forward(x, t);
                d.backward(dy, t);
            }
            try (Tape t = new Tape()) {
                f.forward(Tensors.toChannelsLast(x.castTo(DataType.FLOAT)), t);
                f.backward(Tensors.toChannelsLast(dy.castTo(DataType.FLOAT)), t);
            }
        }
        long m = dy.length() / out;
        assertClose("accumulated dW", d.weight().grad(), f.weight().grad(), 2 * 8.0 * m * U);
    }

    @Test
    void cachedPrimitivesFollowTheBatchAndTheLayer() {
        for (int[] c : new int[][] {{4, 6, 3, 2, 1, 2}, {4, 6, 3, 2, 1, 5}, {6, 4, 3, 1, 0, 5}, {4, 6, 3, 2, 1, 2}}) {
            int in = c[0], out = c[1], k = c[2], st = c[3], pad = c[4], n = c[5]; // the last repeats the first
            Conv2d d = layer(in, out, k, st, pad, Conv2d.Algorithm.IM2COL, DataType.DOUBLE);
            Conv2d f = layer(in, out, k, st, pad, Conv2d.Algorithm.ONEDNN, DataType.FLOAT);
            INDArray x = GradCheck.randn(60 + n, n, in, 9, 7);
            INDArray got = f.forward(Tensors.toChannelsLast(x.castTo(DataType.FLOAT)), null);
            assertTrue(Tensors.isChannelsLast(got), "a channels-last x gives a channels-last y");
            assertClose("y " + java.util.Arrays.toString(c), d.forward(x, null), got, 8.0 * in * k * k * U);
        }
    }

    /**
     * {@code backward(dy, tape, false)}, a first layer's backward: null instead of dx and the same accumulated dW —
     * on oneDNN (which then skips its backward-data primitive) with and without the blocked policy, where dy's
     * reorder is otherwise shared with that primitive, and on the IM2COL path, against the full backward of a twin.
     */
    @Test
    void aFirstLayerGetsTheWeightGradientWithoutAnInputGradient() {
        boolean[] before = OneDnnConv.policies(false, false);
        try {
            for (boolean blocked : new boolean[] {false, true})
            for (Conv2d.Algorithm alg : new Conv2d.Algorithm[] {Conv2d.Algorithm.ONEDNN, Conv2d.Algorithm.IM2COL}) {
                OneDnnConv.policies(blocked, false);
                String what = alg + " blocked=" + blocked;
                Conv2d full = layer(3, 8, 3, 2, 1, alg, DataType.FLOAT), first = layer(3, 8, 3, 2, 1, alg, DataType.FLOAT);
                INDArray x = Tensors.toChannelsLast(GradCheck.randn(80, 2, 3, 9, 9).castTo(DataType.FLOAT));
                INDArray dy = Tensors.toChannelsLast(GradCheck.randn(81, 2, 8, 5, 5).castTo(DataType.FLOAT));
                for (int step = 0; step < 2; step++) {              // twice: the second adds to the first
                    INDArray g = Tensors.toChannelsLast(dy.mul(step + 1)); // each step its own dy buffer
                    try (Tape t = new Tape()) {                      // first: no earlier call's buffers to lean on
                        first.forward(x, t);
                        assertEquals(null, first.backward(g, t, false), what + ": no dx");
                    }
                    try (Tape t = new Tape()) {
                        full.forward(x, t);
                        assertTrue(full.backward(Tensors.toChannelsLast(dy.mul(step + 1)), t, true) != null, what + ": dx");
                    }
                }
                double[] a = full.weight().grad().dup('c').data().asDouble();
                double[] b = first.weight().grad().dup('c').data().asDouble();
                double norm = 0;
                for (double v : a) norm += Math.abs(v);
                assertTrue(norm > 1, what + ": a gradient was accumulated");
                org.junit.jupiter.api.Assertions.assertArrayEquals(a, b, what + ": the same kernels, the same dW");
            }
        } finally {
            OneDnnConv.policies(before[0], before[1]);
        }
    }

    /**
     * The AVX2 policies on any CPU: training's primitives on x, y, dy and dx reordered into and out of oneDNN's
     * blocked layouts, and 1×1 layers in training through oneDNN instead of one BLAS product — forward, dx and the accumulated dW of a
     * 3×3 (stride 1 and 2) and a 1×1 layer against the double IM2COL layer, with each policy on and off.
     */
    @Test
    void avx2PoliciesGiveTheSameConvolution() {
        boolean[] before = OneDnnConv.policies(false, false);
        try {
            for (boolean blocked : new boolean[] {false, true})
            for (boolean pointwise : new boolean[] {false, true})
            for (int[] c : new int[][] {{5, 7, 3, 1, 1}, {6, 4, 3, 2, 1}, {12, 9, 1, 1, 0}}) {
                OneDnnConv.policies(blocked, pointwise);
                int in = c[0], out = c[1], k = c[2], st = c[3], pad = c[4];
                String what = "blocked=" + blocked + " pointwise=" + pointwise + " " + java.util.Arrays.toString(c);
                Conv2d d = layer(in, out, k, st, pad, Conv2d.Algorithm.IM2COL, DataType.DOUBLE);
                Conv2d f = layer(in, out, k, st, pad, Conv2d.Algorithm.ONEDNN, DataType.FLOAT);
                INDArray x = GradCheck.randn(70, 3, in, 9, 7);
                INDArray yd, dxd, yf, dxf;
                try (Tape t = new Tape()) {
                    yd = d.forward(x, t);
                    dxd = d.backward(GradCheck.randn(71, yd.shape()), t);
                }
                try (Tape t = new Tape()) {
                    yf = f.forward(Tensors.toChannelsLast(x.castTo(DataType.FLOAT)), t);
                    dxf = f.backward(Tensors.toChannelsLast(GradCheck.randn(71, yd.shape()).castTo(DataType.FLOAT)), t);
                }
                long m = yd.length() / out;
                assertClose(what + " y", yd, yf, 8.0 * in * k * k * U);
                assertClose(what + " dx", dxd, dxf, 8.0 * out * k * k * U);
                assertClose(what + " dW", d.weight().grad(), f.weight().grad(), 8.0 * m * U);
            }
        } finally {
            OneDnnConv.policies(before[0], before[1]);
        }
    }

    private static Conv2d layer(int in, int out, int k, int stride, int pad, Conv2d.Algorithm alg, DataType type) {
        Conv2d c = new Conv2d("c", in, out, k, stride, pad).algorithm(alg);
        GradCheck.randomize(c, 51, 0.3);
        for (Parameter p : c.stateDict()) p.set(p.value().castTo(type));
        c.zeroGrad();
        return c;
    }

    /** max |got − ref| ≤ tol · max(1, max |ref|). */
    private static void assertClose(String what, INDArray ref, INDArray got, double tol) {
        double[] r = ref.dup('c').data().asDouble(), g = got.dup('c').data().asDouble();
        assertEquals(r.length, g.length, what + ": length");
        double scale = 1, worst = 0;
        for (double v : r) scale = Math.max(scale, Math.abs(v));
        for (int i = 0; i < r.length; i++) worst = Math.max(worst, Math.abs(g[i] - r[i]));
        assertTrue(worst <= tol * scale, what + ": max error " + worst + " > " + tol * scale);
    }
}
