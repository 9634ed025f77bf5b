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

    /** {@code x}: [..., in] (borrowed; kept by reference for backward) → new [..., out]. */
    public INDArray forward(INDArray x, Tape tape) {
        INDArray y = Nd4j.create(x.dataType(), Tensors.withLast(x, out)); // [..., out]
        Nd4j.gemm(Tensors.rows(x), weight.value(), Tensors.rows(y), false, true, 1.0, 0.0);
        if (bias != null) Tensors.rows(y).addiRowVector(bias.value());
        if (tape != null) tape.push(this).ref(x);
        return y;
    }

    /** {@code dy}: [..., out] → new dx [..., in]; accumulates dW = dyᵀ x and db = Σ dy. */
    public INDArray backward(INDArray dy, Tape tape) {
        try (Tape.Frame f = tape.pop(this)) {
            INDArray x2 = Tensors.rows(f.array(0)); // [rows, in]
            INDArray dy2 = Tensors.rows(dy);         // [rows, out]
            Nd4j.gemm(dy2, x2, weight.grad(), true, false, 1.0, 1.0); // grad += dyᵀ x, [out, in]
            if (bias != null) {
                INDArray db = dy2.sum(0); // [out]
                bias.accumulate(db);
                Tensors.release(db);
            }
            INDArray dx = Nd4j.create(dy.dataType(), Tensors.withLast(dy, in)); // [..., in]
            Nd4j.gemm(dy2, weight.value(), Tensors.rows(dx), false, false, 1.0, 0.0);
            return dx;
        }
    }
}
