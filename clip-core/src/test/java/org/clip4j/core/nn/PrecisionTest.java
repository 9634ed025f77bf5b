package org.clip4j.core.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Mixed-precision products against float32 on small shapes. Each half-precision result must be close to the
 * float32 one within what the type's significand allows AND measurably different from it: a zero difference would
 * mean the half path never ran.
 *
 * <p>Error analysis (u = the half type's unit roundoff, half the spacing of numbers in [1, 2): bf16 keeps 8
 * significant bits, u = 2⁻⁸; fp16 keeps 11, u = 2⁻¹¹; products summed in float32, as
 * autocast's, the emulation and oneDNN/cuBLAS do). For c = Σₖ aₖbₖ computed from rounded operands a(1+δ), b(1+ε)
 * and rounded once more at the end, |ĉ − c| ≤ u·|c| + (2u + u²)·Σₖ|aₖbₖ| plus float32 summation terms
 * (k·2⁻²⁴·Σₖ|aₖbₖ|, both in ĉ and in the float32 reference). The elementwise bound is asserted as it is
 * ({@link HalfProductsTest}); the relative Frobenius error of one product is at most u + 2u·κ with
 * κ = ‖ |A|·|B| ‖ / ‖ A·B ‖ (about 4 for the Gaussian data here at k = 40), so {@link #BOUNDS} allows 10u. A chain
 * of products (attention: scores, softmax, values, output projection; backward through all of them) adds one such
 * term per product on the path, amplified by the softmax Jacobian; {@link #CHAINED} allows 24u.
 */
class PrecisionTest {
    /** Unit roundoff of a half type: half the spacing of its numbers in [1, 2) (bf16: 7 stored fraction bits). */
    static double unitRoundoff(Precision p) {
        return p == Precision.BF16 ? 0x1p-8 : 0x1p-11;
    }

    /** [smallest relative error that proves the product was rounded, largest accepted] for one product. */
    private static final Map<Precision, double[]> BOUNDS = Map.of(
            Precision.BF16, new double[] {1e-4, 10 * 0x1p-8},
            Precision.FP16, new double[] {1e-6, 10 * 0x1p-11});
    /** The same after several products in a row (attention: four products and a softmax in forward and backward). */
    private static final Map<Precision, double[]> CHAINED = Map.of(
            Precision.BF16, new double[] {1e-4, 24 * 0x1p-8},
            Precision.FP16, new double[] {1e-6, 24 * 0x1p-11});

    private static INDArray randn(long seed, long... shape) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.FLOAT, shape);
    }

    private static double relErr(INDArray got, INDArray want) {
        assertEquals(DataType.FLOAT, got.dataType(), "results stay float32");
        INDArray d = got.sub(want);
        double e = d.norm2Number().doubleValue() / want.norm2Number().doubleValue();
        d.close();
        return e;
    }

    private static void assertHalfClose(String what, Precision p, INDArray got, INDArray want) {
        assertHalfClose(what, p, got, want, BOUNDS);
    }

    private static void assertHalfClose(String what, Precision p, INDArray got, INDArray want,
                                        Map<Precision, double[]> bounds) {
        double e = relErr(got, want);
        double[] b = bounds.get(p);
        assertTrue(e > b[0], what + " in " + p + ": relative error " + e + " — equal to float32, the product was not cast");
        assertTrue(e < b[1], what + " in " + p + ": relative error " + e + " exceeds " + b[1]);
    }

    @Test
    void parsesNamesAndOpenClipAliases() {
        assertEquals(Precision.FP32, Precision.parse("fp32"));
        assertEquals(Precision.BF16, Precision.parse("BF16"));
        assertEquals(Precision.BF16, Precision.parse("amp_bf16"));
        assertEquals(Precision.FP16, Precision.parse("fp16"));
        assertEquals(Precision.FP16, Precision.parse("amp"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp8"));
        assertTrue(e.getMessage().contains("precision 'fp8'") && e.getMessage().contains("fp32, bf16 or fp16"),
                e.getMessage());
        assertTrue(Precision.FP16.needsLossScaling());
        assertFalse(Precision.BF16.needsLossScaling());
        assertEquals("bf16", Precision.BF16.cliName());
    }

    @Test
    void gemmRoundsTheProductAndAccumulatesInFloat32() {
        INDArray a = randn(1, 16, 40), b = randn(2, 24, 40), c0 = randn(3, 16, 24); // a [m, k], b [n, k]
        INDArray aCopy = a.dup(), bCopy = b.dup();
        INDArray want = Nd4j.gemm(a, b, false, true);                                      // [m, n]
        for (Precision p : List.of(Precision.BF16, Precision.FP16)) {
            INDArray got = Precision.gemm(a, b, false, true, p);
            assertHalfClose("gemm", p, got, want);
            // beta = 1, alpha = 0.5: c = c0 + 0.5 · a bᵀ, accumulated in float32
            INDArray c = c0.dup();
            Precision.gemm(a, b, c, false, true, 0.5, 1.0, p);
            INDArray expect = want.mul(0.5).addi(c0);
            assertHalfClose("gemm with beta 1", p, c, expect);
            // an operand already in the compute type (a cached weight) gives the same result as casting here
            INDArray bh = p.cast(b);
            assertEquals(p.computeType(), bh.dataType());
            INDArray cached = Precision.gemm(a, bh, false, true, p);
            assertEquals(got, cached);
            assertEquals(aCopy, a, "operands are not modified");
            assertEquals(bCopy, b);
            Tensors.release(got, c, expect, bh, cached);
        }
        assertEquals(want, Precision.gemm(a, b, false, true, Precision.FP32), "FP32 is Nd4j.gemm");
    }

    @Test
    void batchedMatmulRoundsTheProductAndWritesIntoViews() {
        INDArray q = randn(4, 2, 3, 5, 8), k = randn(5, 2, 3, 5, 8); // [B, H, T, hd]
        INDArray want = Nd4j.matmul(q, k, null, false, true, false); // [B, H, T, T]
        for (Precision p : List.of(Precision.BF16, Precision.FP16)) {
            INDArray got = Precision.matmul(q, k, null, false, true, p);
            assertHalfClose("matmul", p, got, want);
            INDArray big = Nd4j.zeros(DataType.FLOAT, 2, 2, 3, 5, 5);
            Precision.matmul(q, k, big.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1)), false, true, p);
            INDArray part = big.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1)).dup();
            assertEquals(got, part);
            assertEquals(0.0, big.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0)).amaxNumber().doubleValue());
            Tensors.release(got, big, part);
        }
    }

    /** Forward, then backward of a random upstream gradient: output, input gradient and parameter gradients. */
    private static Map<String, INDArray> run(Module m, Precision p, INDArray x, INDArray dy,
                                             BiFunction<INDArray, Tape, INDArray> forward,
                                             BiFunction<INDArray, Tape, INDArray> backward) {
        m.setPrecision(p);
        m.zeroGrad();
        Map<String, INDArray> out = new LinkedHashMap<>();
        try (Tape tape = new Tape()) {
            out.put("y", forward.apply(x, tape));
            out.put("dx", backward.apply(dy, tape));
            assertEquals(0, tape.size());
        }
        for (Parameter q : m.parameters()) out.put(q.name(), q.grad().dup());
        return out;
    }

    private static void compareRuns(Module m, INDArray x, INDArray dy, BiFunction<INDArray, Tape, INDArray> forward,
                                    BiFunction<INDArray, Tape, INDArray> backward, List<String> exactInHalf) {
        Map<String, INDArray> want = run(m, Precision.FP32, x, dy, forward, backward);
        for (Precision p : List.of(Precision.BF16, Precision.FP16)) {
            Map<String, INDArray> got = run(m, p, x, dy, forward, backward);
            for (String key : want.keySet()) {
                // Gradients computed without any product (a bias: Σ dy) are float32 and exact.
                if (exactInHalf.contains(key)) assertEquals(want.get(key), got.get(key), key + " in " + p);
                else assertHalfClose(key, p, got.get(key), want.get(key), CHAINED);
            }
            got.values().forEach(Tensors::release);
        }
        m.setPrecision(Precision.FP32);
        Map<String, INDArray> again = run(m, Precision.FP32, x, dy, forward, backward);
        for (String key : want.keySet()) assertEquals(want.get(key), again.get(key), "back to FP32: " + key);
    }

    private static void init(Module m, long seed) {
        Init init = new Init(seed, DataType.FLOAT);
        for (Parameter p : m.stateDict()) init.normal(p, 0.3);
    }

    @Test
    void linearForwardAndBackwardInHalfPrecision() {
        Linear lin = new Linear("fc", 24, 40, true);
        init(lin, 6);
        INDArray x = randn(7, 2, 5, 24), dy = randn(8, 2, 5, 40); // [B, T, in], [B, T, out]
        compareRuns(lin, x, dy, lin::forward, lin::backward, List.of("fc.bias"));
    }

    @Test
    void causalAttentionForwardAndBackwardInHalfPrecision() {
        MultiheadAttention attn = new MultiheadAttention("attn", 16, 2, true);
        init(attn, 9);
        INDArray x = randn(10, 2, 6, 16), dy = randn(11, 2, 6, 16); // [B, T, W]
        compareRuns(attn, x, dy, attn::forward, attn::backward, List.of("attn.out_proj.bias"));
    }

    @Test
    void residualBlockWithRecomputeInHalfPrecision() {
        Transformer t = new Transformer("t", 16, 2, 2, 2.0, Activation.QUICK_GELU, false);
        init(t, 12);
        t.setRecompute(true);
        INDArray x = randn(13, 2, 4, 16), dy = randn(14, 2, 4, 16);
        compareRuns(t, x, dy, t::forward, t::backward, List.of("t.resblocks.1.mlp.c_proj.bias")); // Σ dy, no product
    }

    @Test
    void setPrecisionReachesEverySubModule() {
        ResidualAttentionBlock block = new ResidualAttentionBlock("b", 8, 2, 4.0, Activation.GELU, false);
        block.setPrecision(Precision.BF16);
        List<Module> modules = new ArrayList<>(List.of(block, block.attn(), block.attn().inProj(),
                block.attn().outProj(), block.mlp(), block.mlp().fc(), block.mlp().proj(), block.ln1()));
        for (Module m : modules) assertEquals(Precision.BF16, m.precision(), m.toString());
        assertThrows(IllegalArgumentException.class, () -> block.setPrecision(null));
    }
}
