package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code y = x Wᵀ + b} with PyTorch's layout: weight {@code [out, in]}, optional bias {@code [out]}. Works on
 * any leading dimensions: {@code [..., in] → [..., out]}.
 */
public final class Linear extends Module {
    private final Parameter weight;
    private final Parameter bias;
    private final long in;
    private final long out;

    /** Parameters named {@code prefix.weight} and {@code prefix.bias}. */
    public Linear(String prefix, long in, long out, boolean bias) {
        this(prefix, "weight", bias ? "bias" : null, in, out);
    }

    /**
     * Parameters with explicit local names, e.g. {@code in_proj_weight}/{@code in_proj_bias} of a packed
     * attention projection that lives at the attention module's own level. A null bias name means no bias.
     */
    public Linear(String prefix, String weightName, String biasName, long in, long out) {
        super(prefix);
        this.in = in;
        this.out = out;
        this.weight = param(weightName, out, in);
        this.bias = biasName == null ? null : param(biasName, out);
    }

    public Parameter weight() {
        return weight;
    }

    /** The bias, or null. */
    public Parameter bias() {
        return bias;
    }

    public long inFeatures() {
        return in;
    }

    public long outFeatures() {
        return out;
    }

    /**
     * What backward needs: the input rows, or with a half precision the half copies of the input and of the
     * weight (the weight is cast once per step and module call, as PyTorch's autocast weight cache).
     */
    private record Saved(
            INDArray x,       // [rows, in]: the borrowed input (FP32), or its half copy (owned by the tape)
            INDArray weight)  // [out, in]: null for FP32, else the half copy of the weight (owned by the tape)
    {
    }

    /**
     * {@code x}: [..., in] (borrowed; kept by reference for backward) → new [..., out]. With a half
     * {@linkplain #precision() precision} the product runs in the half type.
     */
    public INDArray forward(INDArray x, Tape tape) {
        try (Scope s = Scope.open()) {
            Precision p = precision();
            // [..., out], pooled: the product overwrites it (beta 0: BLAS never reads C then)
            INDArray y = s.track(BufferPool.create(x.dataType(), Tensors.withLast(x, out)));
            INDArray x2 = Tensors.rows(x), w = weight.value();                         // [rows, in], [out, in]
            if (!p.isHalf()) {
                Nd4j.gemm(x2, w, Tensors.rows(y), false, true, 1.0, 0.0);
                if (tape != null) tape.save(this, new Saved(x2, null), s);
            } else {
                INDArray xh = p.cast(x2), wh = p.cast(w); // the half type: new arrays unless already half
                if (xh != x2) s.track(xh);
                if (wh != w) s.track(wh);
                Precision.gemm(xh, wh, Tensors.rows(y), false, true, 1.0, 0.0, p);
                if (tape != null) tape.save(this, new Saved(xh, wh), s);
            }
            if (bias != null) Tensors.rows(y).addiRowVector(bias.value());
            return s.ret(y);
        }
    }

    /** {@code dy}: [..., out] → new dx [..., in]; accumulates dW = dyᵀ x and db = Σ dy. */
    public INDArray backward(INDArray dy, Tape tape) {
        try (Scope s = Scope.open()) {
            Saved saved = tape.pop(this, Saved.class, s);
            Precision p = precision();
            INDArray dy2 = Tensors.rows(dy);                                         // [rows, out]
            INDArray dx = s.track(BufferPool.create(dy.dataType(), Tensors.withLast(dy, in))); // [..., in], overwritten
            if (!p.isHalf()) {
                Nd4j.gemm(dy2, saved.x(), weight.grad(), true, false, 1.0, 1.0);   // grad += dyᵀ x, [out, in]
                Nd4j.gemm(dy2, weight.value(), Tensors.rows(dx), false, false, 1.0, 0.0); // dx = dy W
            } else {
                INDArray dyh = p.cast(dy2);                   // cast once, used by both products
                if (dyh != dy2) s.track(dyh);
                Precision.gemm(dyh, saved.x(), weight.grad(), true, false, 1.0, 1.0, p); // float32 accumulation
                Precision.gemm(dyh, saved.weight(), Tensors.rows(dx), false, false, 1.0, 0.0, p);
            }
            if (bias != null && Kernels.applies(dy2, bias.value())) Kernels.addColumnSums(dy2, bias.grad()); // db += Σ_rows dy
            else if (bias != null) bias.accumulate(s.track(Tensors.sumFirst(dy2)));                           // [out]
            return s.ret(dx);
        }
    }
}
