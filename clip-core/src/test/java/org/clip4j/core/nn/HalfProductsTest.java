package org.clip4j.core.nn;

import org.clip4j.core.ClipException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Half-precision products: the float32 emulation against its closed form (bit for bit), whatever path this
 * machine's backend gets against the error bound of a float32-summed half product, and the choice of path.
 * The emulated path is forced here, so it runs on every machine whatever the probe decides.
 */
class HalfProductsTest {
    private static final List<Precision> HALF = List.of(Precision.BF16, Precision.FP16);

    @AfterEach
    void backToTheProperty() {
        HalfProducts.force(null);
    }

    // ---- the closed form: round to nearest even, written out ----

    /** float → bfloat16 → float, round to nearest even (keeps the top 16 bits). */
    static float roundBf16(float f) {
        if (Float.isNaN(f)) return f;
        int bits = Float.floatToRawIntBits(f);
        int lsb = (bits >>> 16) & 1;
        bits += 0x7FFF + lsb; // carries into the exponent when rounding up a full significand: also right for ∞
        return Float.intBitsToFloat(bits & 0xFFFF0000);
    }

    /** float → IEEE half → float, round to nearest even (subnormals below 2⁻¹⁴, ∞ from 65,520 up). */
    static float roundFp16(float f) {
        if (Float.isNaN(f) || Float.isInfinite(f)) return f;
        double a = Math.abs((double) f);
        if (a >= 65520) return Math.copySign(Float.POSITIVE_INFINITY, f); // 65,520 is the tie to 2¹⁶: even → ∞
        int e = a < 0x1p-14 ? -14 : Math.getExponent(a);                  // binade (the subnormals share -14's)
        double q = Math.scalb(1.0, e - 10);                              // spacing: 10 fraction bits
        return (float) Math.copySign(Math.rint(a / q) * q, f);            // rint: ties to even; a/q exact
    }

    static float round(float f, Precision p) {
        return p == Precision.BF16 ? roundBf16(f) : roundFp16(f);
    }

    static INDArray roundAll(INDArray x, Precision p) {
        float[] v = x.dup('c').data().asFloat();
        for (int i = 0; i < v.length; i++) v[i] = round(v[i], p);
        return Nd4j.create(v, x.shape(), 'c');
    }

    /** Gaussian values with a quarter of them set exactly half-way between two values of the half type (ties). */
    static INDArray withTies(long seed, Precision p, long... shape) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(DataType.FLOAT, shape);
        float[] v = x.data().asFloat();
        Random r = new Random(seed);
        for (int i = 0; i < v.length; i++) {
            if (r.nextInt(4) != 0) continue;
            int bits = Float.floatToRawIntBits(v[i]);
            // bf16 keeps 7 fraction bits of float32's 23: a tie has the 16 dropped bits = 1000…0; fp16 keeps 10
            // (13 dropped) for values in fp16's normal range, which these are (|x| > 2⁻¹⁴ but for rare cases).
            v[i] = Float.intBitsToFloat(p == Precision.BF16 ? (bits & 0xFFFF0000) | 0x8000 : (bits & ~0x1FFF) | 0x1000);
        }
        x.close();
        return Nd4j.create(v, shape, 'c');
    }

    @Test
    void castsRoundToNearestEvenAsTheClosedForm() {
        float[] special = {0f, -0f, 1f, 1 + 0x1p-8f, 1 + 3 * 0x1p-8f, 1 + 0x1p-8f + 0x1p-20f, 1 + 0x1p-11f,
                1 + 3 * 0x1p-11f, 65504f, 65519.99f, 65520f, -65520f, 0x1p-14f, 0x1p-24f, 0x1p-25f, 0x1.8p-25f,
                3 * 0x1p-26f, 1e-8f, -2.5e-7f, 3.4e38f, Float.MAX_VALUE, Float.MIN_VALUE, Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY};
        Random r = new Random(1);
        float[] v = new float[special.length + 4000];
        System.arraycopy(special, 0, v, 0, special.length);
        for (int i = special.length; i < v.length; i++) {
            // random bit patterns over a wide exponent range, and exact ties
            float f = (float) (r.nextGaussian() * Math.pow(2, r.nextInt(40) - 26));
            int bits = Float.floatToRawIntBits(f);
            if (i % 3 == 0) bits = (bits & 0xFFFF0000) | 0x8000;
            if (i % 3 == 1) bits = (bits & ~0x1FFF) | 0x1000;
            v[i] = Float.intBitsToFloat(bits);
        }
        INDArray x = Nd4j.createFromArray(v);
        for (Precision p : HALF) {
            INDArray h = x.castTo(p.computeType());
            float[] got = h.castTo(DataType.FLOAT).toFloatVector();
            for (int i = 0; i < v.length; i++) {
                assertEquals(Float.floatToIntBits(round(v[i], p)), Float.floatToIntBits(got[i]),
                        p + " cast of " + v[i] + " (" + Integer.toHexString(Float.floatToRawIntBits(v[i])) + "): "
                                + got[i] + ", round to nearest even gives " + round(v[i], p));
            }
            h.close();
        }
        // the closed form itself, on hand-checked values
        assertEquals(1f, roundBf16(1 + 0x1p-8f));             // tie, 1 is even
        assertEquals(1 + 0x1p-6f, roundBf16(1 + 3 * 0x1p-8f)); // tie, 1 + 2⁻⁶ is even
        assertEquals(1 + 0x1p-7f, roundBf16(1 + 0x1p-8f + 0x1p-20f));
        assertEquals(1f, roundFp16(1 + 0x1p-11f));
        assertEquals(1 + 0x1p-9f, roundFp16(1 + 3 * 0x1p-11f));
        assertEquals(Float.POSITIVE_INFINITY, roundFp16(65520f));
        assertEquals(65504f, roundFp16(65519.99f));
        assertEquals(0f, roundFp16(0x1p-25f));                 // tie between 0 and 2⁻²⁴: 0 is even
        assertEquals(0x1p-23f, roundFp16(3 * 0x1p-25f));       // tie between 2⁻²⁴ and 2⁻²³: 2⁻²³ is even
        assertEquals(0x1p-24f, roundFp16(0x1.8p-25f));
    }

    @Test
    void emulatedGemmIsTheRoundedFloat32ProductOfRoundedOperands() {
        HalfProducts.force("emulated");
        for (Precision p : HALF) {
            assertEquals(HalfProducts.Path.EMULATED, HalfProducts.path(p));
            INDArray a = withTies(1, p, 16, 40), b = withTies(2, p, 24, 40), c0 = withTies(3, p, 16, 24);
            INDArray at = a.transpose().dup('c'), bt = b.transpose().dup('c'); // [40, 16], [40, 24]
            // Linear: forward x·Wᵀ (F,T), weight gradient dyᵀ·x (T,F), input gradient dy·W (F,F); and (T,T)
            Object[][] cases = {{a, b, false, true}, {at, bt, true, false}, {a, bt, false, false}, {at, b, true, true}};
            for (Object[] cs : cases) {
                INDArray x = (INDArray) cs[0], y = (INDArray) cs[1];
                boolean ta = (boolean) cs[2], tb = (boolean) cs[3];
                String what = p + " gemm transA=" + ta + " transB=" + tb;
                INDArray want = roundAll(Nd4j.gemm(roundAll(x, p), roundAll(y, p), ta, tb), p); // closed form
                INDArray got = Precision.gemm(x, y, ta, tb, p);
                assertEquals(DataType.FLOAT, got.dataType());
                assertEquals(want, got, what + ": not the rounded float32 product of the rounded operands");
                // alpha 0.5, beta 1: c0 + 0.5 · round(product), in float32
                INDArray c = c0.dup();
                Precision.gemm(x, y, c, ta, tb, 0.5, 1.0, p);
                float[] w = want.data().asFloat(), c0v = c0.data().asFloat(), cv = c.data().asFloat();
                for (int i = 0; i < w.length; i++) assertEquals(c0v[i] + 0.5f * w[i], cv[i], 0f, what + " beta 1, " + i);
                // an operand already in the half type (a cached weight cast) gives the same
                INDArray yh = p.cast(y);
                assertEquals(want, Precision.gemm(x, yh, ta, tb, p), what + " with a half-typed operand");
                Tensors.release(want, got, c, yh);
            }
        }
    }

    @Test
    void emulatedBatchedMatmulIsTheRoundedFloat32ProductOfRoundedOperands() {
        HalfProducts.force("emulated");
        for (Precision p : HALF) {
            INDArray q = withTies(4, p, 2, 3, 5, 8), k = withTies(5, p, 2, 3, 5, 8); // [B, H, T, hd]
            INDArray s = withTies(6, p, 2, 3, 5, 5);                                  // [B, H, T, T]
            // attention: scores q·kᵀ (F,T), context P·v (F,F), value gradient Pᵀ·dO (T,F)
            Object[][] cases = {{q, k, false, true}, {s, k, false, false}, {s, q, true, false}};
            for (Object[] cs : cases) {
                INDArray x = (INDArray) cs[0], y = (INDArray) cs[1];
                boolean ta = (boolean) cs[2], tb = (boolean) cs[3];
                String what = p + " matmul transA=" + ta + " transB=" + tb;
                INDArray want = roundAll(Nd4j.matmul(roundAll(x, p), roundAll(y, p), null, ta, tb, false), p);
                INDArray got = Precision.matmul(x, y, null, ta, tb, p);
                assertEquals(DataType.FLOAT, got.dataType());
                assertEquals(want, got, what);
                // into a view of a larger array (a slice of the q/k/v gradient)
                INDArray big = Nd4j.zeros(DataType.FLOAT, 2, want.size(0), want.size(1), want.size(2), want.size(3));
                Precision.matmul(x, y, big.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1)), ta, tb, p);
                assertEquals(want, big.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1)), what + " into a view");
                assertEquals(0.0, big.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0)).amaxNumber().doubleValue());
                Tensors.release(want, got, big);
            }
        }
    }

    /**
     * Asserts |got − c| ≤ u·|c| + (2u + 4u² + 4k·2⁻²⁴)·Σₖ|aₖbₖ| (+ 2⁻²⁴·(Σ|aₖ| + Σ|bₖ| + 1) for fp16's
     * subnormals) for every element, c the exact product in double: rounding both operands (2u + u²), summing in
     * float32 (k·2⁻²⁴ each, γₖ ≤ 2k·2⁻²⁴ with the (1 + u) factors), rounding the sum (u). Any product that sums in
     * float32 and rounds to nearest meets it, in any summation order; one that sums in the half type does not.
     */
    static void assertWithinProductBound(String what, Precision p, float[][] a, float[][] b, INDArray got) {
        int m = a.length, k = a[0].length, n = b[0].length; // a [m, k], b [k, n]
        double u = PrecisionTest.unitRoundoff(p), rel = 2 * u + 4 * u * u + 4 * k * 0x1p-24;
        float[][] g = got.toFloatMatrix();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double c = 0, s = 0, sa = 0, sb = 0;
                for (int t = 0; t < k; t++) {
                    c += (double) a[i][t] * b[t][j];
                    s += Math.abs((double) a[i][t] * b[t][j]);
                    sa += Math.abs(a[i][t]);
                    sb += Math.abs(b[t][j]);
                }
                double bound = u * Math.abs(c) + rel * s + (p == Precision.FP16 ? 0x1p-24 * (sa + sb + 1) : 0);
                assertTrue(Math.abs(g[i][j] - c) <= bound, what + " [" + i + ", " + j + "]: " + g[i][j]
                        + " vs exact " + c + ", error " + Math.abs(g[i][j] - c) + " > bound " + bound);
            }
        }
    }

    private static float[][] op(INDArray x, boolean trans) {
        return (trans ? x.transpose() : x).toFloatMatrix();
    }

    /** The path this machine chooses by itself (native where the probe accepts it) meets the error bound. */
    @Test
    void theAutomaticPathMeetsTheErrorBoundOfAFloat32SummedProduct() {
        HalfProducts.force("auto");
        for (Precision p : HALF) {
            HalfProducts.Path path = HalfProducts.path(p);
            INDArray a = withTies(7, p, 16, 192), b = withTies(8, p, 24, 192); // k = 192: the AVX2 crash's k
            INDArray got = Precision.gemm(a, b, false, true, p);                // [16, 24]
            assertWithinProductBound(p + " gemm (" + path + ")", p, op(a, false), op(b, true), got);
            INDArray q = withTies(9, p, 2, 5, 64), kk = withTies(10, p, 2, 7, 64);
            INDArray s = Precision.matmul(q, kk, null, false, true, p);          // [2, 5, 7]
            for (int i = 0; i < 2; i++) {
                assertWithinProductBound(p + " matmul (" + path + ") slice " + i, p, op(q.slice(i), false),
                        op(kk.slice(i), true), s.slice(i));
            }
            Tensors.release(a, b, got, q, kk, s);
        }
    }

    @Test
    void theBoundRejectsAProductSummedInTheHalfType() {
        // The bound must be able to fail: 1 + 191 · 3·2⁻¹⁰ (exact sum 1.5596) accumulated in bf16, as ND4J's generic
        // loop does, stays at 1 (each addend is below half the spacing 2⁻⁷ of numbers near 1).
        Precision p = Precision.BF16;
        float[][] a = new float[1][192], b = new float[192][1];
        float acc = 0;
        for (int t = 0; t < 192; t++) {
            a[0][t] = 1;
            b[t][0] = t == 0 ? 1 : 3 * 0x1p-10f;
            acc = roundBf16(acc + a[0][t] * b[t][0]);
        }
        assertEquals(1f, acc);
        INDArray halfSum = Nd4j.createFromArray(new float[][] {{acc}});
        AssertionError e = assertThrows(AssertionError.class,
                () -> assertWithinProductBound("half-summed", p, a, b, halfSum));
        assertTrue(e.getMessage().contains("bound"), e.getMessage());
    }

    @Test
    void forcingAndThePropertyChooseThePath() {
        HalfProducts.force("native");
        assertEquals(HalfProducts.Path.NATIVE, HalfProducts.path(Precision.BF16));
        HalfProducts.force("EMULATED");
        assertEquals(HalfProducts.Path.EMULATED, HalfProducts.path(Precision.FP16));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HalfProducts.force("fast"));
        assertTrue(e.getMessage().contains("'fast': expected auto, native or emulated"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HalfProducts.path(Precision.FP32));
        HalfProducts.force(null);
        String before = System.getProperty(HalfProducts.PROPERTY);
        try {
            System.setProperty(HalfProducts.PROPERTY, "emulated");
            HalfProducts.force(null); // forget the cached choice
            assertEquals(HalfProducts.Path.EMULATED, HalfProducts.path(Precision.BF16));
            System.setProperty(HalfProducts.PROPERTY, "sometimes");
            HalfProducts.force(null);
            e = assertThrows(IllegalArgumentException.class, () -> HalfProducts.path(Precision.BF16));
            assertTrue(e.getMessage().contains("clip4j.halfGemm 'sometimes'"), e.getMessage());
        } finally {
            if (before == null) System.clearProperty(HalfProducts.PROPERTY);
            else System.setProperty(HalfProducts.PROPERTY, before);
        }
    }

    @Test
    void aFailingNativeProductIsReportedWithoutBackendOpNames() {
        INDArray a = Nd4j.zeros(DataType.FLOAT, 384, 192), b = Nd4j.zeros(DataType.FLOAT, 64, 192);
        ClipException e = HalfProducts.nativeFailure(Precision.BF16, a, b, false, true,
                new RuntimeException("Op [matmul] execution failed"));
        assertEquals("a bf16 matrix product [384, 192] · [64, 192]ᵀ failed in the ND4J backend's native bf16 product"
                + " (clip4j.halfGemm=native): run with -Dclip4j.halfGemm=auto or =emulated to emulate it in float32,"
                + " or use --precision fp32", e.getMessage());
        assertFalse(e.getMessage().contains("matmul"));
    }
}
