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
     * {@code x}: [..., in] (borrowed; kept by reference for backward) → new [..., out]. With a half
     * {@linkplain #precision() precision} the product runs in the half type, and a training forward keeps the
     * half copies of x and of the weight on the tape for backward (the weight is cast once per step and module
     * call, as PyTorch's autocast weight cache; released with the tape frame).
     */
    public INDArray forward(INDArray x, Tape tape) {
        Precision p = precision();
        INDArray y = Nd4j.create(x.dataType(), Tensors.withLast(x, out)); // [..., out]
        if (!p.isHalf()) {
            Nd4j.gemm(Tensors.rows(x), weight.value(), Tensors.rows(y), false, true, 1.0, 0.0);
            if (tape != null) tape.push(this).ref(x);
        } else {
            INDArray x2 = Tensors.rows(x), w = weight.value();
            INDArray xh = p.cast(x2), wh = p.cast(w); // [rows, in], [out, in] in the half type (new unless already)
            Precision.gemm(xh, wh, Tensors.rows(y), false, true, 1.0, 0.0, p);
            if (tape != null) {
                Tape.Frame f = tape.push(this);
                if (xh != x2) f.keep(xh); else f.ref(xh);
                if (wh != w) f.keep(wh); else f.ref(wh);
            } else {
                if (xh != x2) Tensors.release(xh);
                if (wh != w) Tensors.release(wh);
            }
        }
        if (bias != null) Tensors.rows(y).addiRowVector(bias.value());
        return y;
    }

    /** {@code dy}: [..., out] → new dx [..., in]; accumulates dW = dyᵀ x and db = Σ dy. */
    public INDArray backward(INDArray dy, Tape tape) {
        try (Tape.Frame f = tape.pop(this)) {
            Precision p = precision();
            INDArray dy2 = Tensors.rows(dy);                    // [rows, out]
            INDArray dx = Nd4j.create(dy.dataType(), Tensors.withLast(dy, in)); // [..., in]
            if (!p.isHalf()) {
                INDArray x2 = Tensors.rows(f.array(0));         // [rows, in]
                Nd4j.gemm(dy2, x2, weight.grad(), true, false, 1.0, 1.0); // grad += dyᵀ x, [out, in]
                Nd4j.gemm(dy2, weight.value(), Tensors.rows(dx), false, false, 1.0, 0.0);
            } else {
                INDArray xh = f.array(0), wh = f.array(1);     // half copies from forward
                INDArray dyh = p.cast(dy2);                     // cast once, used by both products
                Precision.gemm(dyh, xh, weight.grad(), true, false, 1.0, 1.0, p); // float32 accumulation
                Precision.gemm(dyh, wh, Tensors.rows(dx), false, false, 1.0, 0.0, p);
                if (dyh != dy2) Tensors.release(dyh);
            }
            if (bias != null) {
                INDArray db = dy2.sum(0); // [out], float32
                bias.accumulate(db);
                Tensors.release(db);
            }
            return dx;
        }
    }
}
