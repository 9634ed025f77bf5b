package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Locale;

/**
 * The type matrix products run in: an autocast policy in the manner of PyTorch's {@code torch.autocast}.
 *
 * <p>With {@link #BF16} or {@link #FP16} the large products of a module (Linear forward and backward, the
 * attention score and value products, the patch embedding and the output projections) cast their operands to
 * the half type, multiply there, and write the product back into a float32 array. Everything else stays float32:
 * the parameters (the optimiser's master weights), activations between layers, LayerNorm, softmax, GELU,
 * residual adds, reductions and the contrastive loss. Products are the only operations that are cheaper in half
 * precision on a GPU (tensor cores) and on CPUs with bf16 dot-product instructions; keeping the rest in float32
 * avoids both the accuracy loss and, on ND4J's CPU backend, its slow element-wise half kernels.
 *
 * <p>FP16 has 5 exponent bits (largest value 65,504, smallest normal 6.1e-5) and an 11-bit significand
 * (10 stored bits; relative rounding error at most 2⁻¹¹ ≈ 0.05 % per value): gradients underflow unless the loss
 * is scaled up ({@link #needsLossScaling()}). BF16 keeps float32's exponent range with an 8-bit significand
 * (7 stored bits; relative rounding error at most 2⁻⁸ ≈ 0.4 % per value) and needs no loss scaling.
 *
 * <p>A half product sums in float32 and rounds its result to the half type, as autocast's does. It runs in the
 * ND4J backend's own half product where that is available and sums in float32, else it is emulated exactly in
 * float32 (operands rounded, float32 product, result rounded); {@link HalfProducts} chooses once per process and
 * logs which.
 *
 * <p>Set it per model with {@link Module#setPrecision(Precision)}; {@link #FP32} (the default) takes exactly
 * the float32 code path, bit for bit.
 */
public enum Precision {
    /** Everything in the model's own type (float32): no casts. */
    FP32(DataType.FLOAT),
    /** Products in bfloat16 (8-bit significand, float32's exponent range). */
    BF16(DataType.BFLOAT16),
    /** Products in IEEE half precision (11-bit significand, largest value 65,504); needs loss scaling. */
    FP16(DataType.HALF);

    private final DataType computeType;

    Precision(DataType computeType) {
        this.computeType = computeType;
    }

    /** The ND4J type products run in: FLOAT, BFLOAT16 or HALF. */
    public DataType computeType() {
        return computeType;
    }

    /** True for the half types (products are cast). */
    public boolean isHalf() {
        return this != FP32;
    }

    /** True if training needs dynamic loss scaling against gradient underflow: FP16 only. */
    public boolean needsLossScaling() {
        return this == FP16;
    }

    /** The command-line name: {@code fp32}, {@code bf16} or {@code fp16}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code fp32}, {@code bf16} or {@code fp16} (any case), plus OpenCLIP's names for the same mixed
     * precision modes: {@code amp} (= fp16) and {@code amp_bf16} (= bf16), and {@code float32}, {@code bfloat16},
     * {@code float16}.
     */
    public static Precision parse(String s) {
        if (s == null) throw new IllegalArgumentException("precision: expected fp32, bf16 or fp16, got null");
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "fp32", "float32", "float" -> FP32;
            case "bf16", "bfloat16", "amp_bf16", "amp-bf16" -> BF16;
            case "fp16", "float16", "half", "amp" -> FP16;
            default -> throw new IllegalArgumentException("precision '" + s
                    + "': expected fp32, bf16 or fp16 (OpenCLIP's amp = fp16, amp_bf16 = bf16)");
        };
    }

    /**
     * {@code x} cast to this precision's compute type: x itself if it already has that type, else a new array
     * (not tracked, as an ND4J op's result).
     */
    public INDArray cast(INDArray x) {
        return x.dataType() == computeType ? x : x.castTo(computeType);
    }

    /** {@link #cast(INDArray)}, a new array tracked by {@code s} (x itself, untracked, if it has the type). */
    public INDArray cast(INDArray x, Scope s) {
        return x.dataType() == computeType ? x : s.track(x.castTo(computeType));
    }

    /**
     * {@code c = alpha · op(a) · op(b) + beta · c} for 2-D operands, as {@code Nd4j.gemm}, with the product in
     * {@code p}'s compute type. {@code c} keeps its own type (float32): the half product is converted and scaled
     * into it, so {@code beta = 1} accumulates in float32 (weight gradients over micro-batches). Operands that
     * already have the compute type (a cached weight copy) are used as they are; other operands are cast into
     * temporaries of a {@link Scope} of this call, freed before it returns (also when it throws). With
     * {@link #FP32} this is exactly {@code Nd4j.gemm}. All arguments are borrowed.
     *
     * @return c
     */
    public static INDArray gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha,
                                double beta, Precision p) {
        if (p == FP32) return Nd4j.gemm(a, b, c, transA, transB, alpha, beta);
        if (HalfProducts.path(p) == HalfProducts.Path.EMULATED) {
            return HalfProducts.emulatedGemm(a, b, c, transA, transB, alpha, beta, p);
        }
        try (Scope s = Scope.open()) {
            INDArray ah = p.cast(a, s), bh = p.cast(b, s);
            INDArray prod = s.track(Nd4j.create(p.computeType, c.shape())); // [m, n] in the half type
            // libnd4j's matmul op (oneDNN's bf16 gemm on CPU, cuBLAS on CUDA). It accepts no mixed types, so the
            // product cannot land in c directly.
            try {
                Nd4j.exec(DynamicCustomOp.builder("matmul").addInputs(ah, bh).addOutputs(prod)
                        .addIntegerArguments(transA ? 1 : 0, transB ? 1 : 0).build());
            } catch (RuntimeException e) {
                throw HalfProducts.nativeFailure(p, a, b, transA, transB, e);
            }
            accumulate(prod, c, alpha, beta);
            return c;
        }
    }

    /**
     * {@code op(a) · op(b)} as a new array of a's type (float32), the product in {@code p}'s compute type. Like
     * an ND4J op, the result is not tracked: inside a {@link Scope} the caller tracks it.
     */
    public static INDArray gemm(INDArray a, INDArray b, boolean transA, boolean transB, Precision p) {
        if (p == FP32) return Nd4j.gemm(a, b, transA, transB);
        INDArray c = Nd4j.create(a.dataType(), transA ? a.size(1) : a.size(0), transB ? b.size(0) : b.size(1));
        return filled(c, () -> gemm(a, b, c, transA, transB, 1.0, 0.0, p));
    }

    /**
     * Batched product {@code op(a) · op(b)} over the last two dimensions (as {@code Nd4j.matmul(a, b, out,
     * transA, transB, false)}), with the product in {@code p}'s compute type. Writes into {@code out} if given
     * (for example a view of a larger gradient) and returns it, else returns a new array of a's type (float32
     * for a half-type a), which, like an ND4J op's result, is not tracked: inside a {@link Scope} the caller
     * tracks it. With a half precision a and b must have the same batch dimensions. In float32 on the CPU, into a
     * given {@code out}, many small products (the attention's heads) go to OpenBLAS one by one ({@link SmallGemm}).
     */
    public static INDArray matmul(INDArray a, INDArray b, INDArray out, boolean transA, boolean transB, Precision p) {
        if (p == FP32) {
            if (out != null && SmallGemm.batched(a, b, out, transA, transB)) return out;
            return Nd4j.matmul(a, b, out, transA, transB, false);
        }
        if (out != null) {
            matmulInto(a, b, out, transA, transB, p);
            return out;
        }
        INDArray c = Nd4j.create(a.dataType() == p.computeType ? DataType.FLOAT : a.dataType(),
                batchedProductShape(a, b, transA, transB));
        return filled(c, () -> matmulInto(a, b, c, transA, transB, p));
    }

    /** {@code out = op(a) · op(b)} with the product in the half type p. */
    private static void matmulInto(INDArray a, INDArray b, INDArray out, boolean transA, boolean transB,
                                   Precision p) {
        if (HalfProducts.path(p) == HalfProducts.Path.EMULATED) {
            HalfProducts.emulatedMatmul(a, b, out, transA, transB, p);
            return;
        }
        try (Scope s = Scope.open()) {
            INDArray ah = p.cast(a, s), bh = p.cast(b, s);
            INDArray prod; // [..., m, n] in the half type
            try {
                prod = s.track(Nd4j.matmul(ah, bh, null, transA, transB, false));
            } catch (RuntimeException e) {
                throw HalfProducts.nativeFailure(p, a, b, transA, transB, e);
            }
            out.assign(prod);
        }
    }

    /**
     * {@code c} after {@code fill} wrote it: c is a new array not yet handed to anyone, so if fill throws, c is
     * released here (the one release of this class: no scope owns c, the caller will).
     */
    private static INDArray filled(INDArray c, Runnable fill) {
        try {
            fill.run();
            return c;
        } catch (RuntimeException | Error e) {
            Tensors.release(c);
            throw e;
        }
    }

    /** The shape of {@code op(a) · op(b)} for a and b of the same rank and batch dimensions. */
    static long[] batchedProductShape(INDArray a, INDArray b, boolean transA, boolean transB) {
        long[] as = a.shape(), bs = b.shape();
        int r = as.length;
        boolean sameBatch = r >= 2 && bs.length == r;
        for (int i = 0; sameBatch && i < r - 2; i++) sameBatch = as[i] == bs[i];
        long inner = transA ? as[r - 2] : as[r - 1], innerB = transB ? bs[r - 1] : bs[r - 2];
        if (!sameBatch || inner != innerB) {
            throw new IllegalArgumentException("half-precision batched product: shapes "
                    + java.util.Arrays.toString(as) + (transA ? "ᵀ" : "") + " and " + java.util.Arrays.toString(bs)
                    + (transB ? "ᵀ" : "") + " need the same batch dimensions and matching inner sizes");
        }
        long[] out = as.clone(); // a fresh array: shape() may be the array's own cached shape
        out[r - 2] = transA ? as[r - 1] : as[r - 2];
        out[r - 1] = transB ? bs[r - 2] : bs[r - 1];
        return out;
    }

    /** {@code c = alpha · prod + beta · c}, c in its own (wider) type; prod is left as it is. */
    static void accumulate(INDArray prod, INDArray c, double alpha, double beta) {
        if (beta == 0 && alpha == 1) {
            c.assign(prod); // converts while copying
            return;
        }
        try (Scope s = Scope.open()) {
            INDArray wide = s.track(prod.castTo(c.dataType()));
            if (alpha != 1) wide.muli(alpha);
            if (beta == 0) c.assign(wide);
            else {
                if (beta != 1) c.muli(beta);
                c.addi(wide);
            }
        }
    }
}
