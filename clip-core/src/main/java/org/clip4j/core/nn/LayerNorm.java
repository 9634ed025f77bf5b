package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Broadcast;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Layer normalisation over the last dimension, eps = 1e-5 (PyTorch's default, used by CLIP):
 * {@code y = (x - mean) / sqrt(var + eps) * weight + bias} with the biased variance.
 *
 * <p>Always computed in float32 or wider: OpenAI's {@code LayerNorm} subclass casts fp16 inputs to fp32
 * because the variance of wide activations loses too many digits in half precision. Half inputs are upcast
 * here; the output has the compute type.
 */
public final class LayerNorm extends Module {
    public static final double EPS = 1e-5;

    private final Parameter weight;
    private final Parameter bias;
    private final long width;

    public LayerNorm(String prefix, long width) {
        super(prefix);
        this.width = width;
        this.weight = param("weight", width);
        this.bias = param("bias", width);
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    /** What backward needs; both arrays are created by forward and owned by the tape. */
    private record Saved(
            INDArray xhat,  // [..., W]: x̂ = (x − mean) · rstd, the normalised input
            INDArray rstd)  // [rows, 1]: 1 / sqrt(var + eps) per row
    {
    }

    /**
     * {@code x}: [..., W] (borrowed, not kept) → new [..., W]. Seven passes over the data and two new arrays
     * (x̂, kept for backward, and y): the variance comes from the L2 norm of the centred rows, with no
     * squared copy.
     */
    public INDArray forward(INDArray x, Tape tape) {
        if (Kernels.applies(x, weight.value(), bias.value())) return fusedForward(x, tape);
        try (Scope s = Scope.open()) {
            org.nd4j.linalg.api.buffer.DataType t = Tensors.computeType(x);
            INDArray src = x.dataType() == t && Tensors.isRowMajorContiguous(x) ? x : upcast(x, t, s);
            INDArray x2 = Tensors.rows(src);                         // [rows, W] view
            INDArray mean = s.track(x2.mean(true, 1));               // [rows, 1]
            INDArray xc = s.track(Nd4j.create(t, x.shape()));        // [..., W]
            INDArray xc2 = Tensors.rows(xc);
            // Centred into xc. assign + column op: ND4J's broadcast along dimension 0 loops over strided columns
            // and measured about 1.7x slower than the two passes.
            xc2.assign(x2).subiColumnVector(mean);
            if (src != x) s.release(src);
            INDArray rstd = s.track(xc2.norm2(true, 1));             // [rows, 1]: sqrt(Σ (x − mean)²)
            rstd.muli(rstd).divi(width).addi(EPS);                   // biased variance + eps
            Transforms.pow(rstd, -0.5, false);                       // 1/sqrt(var + eps), in place
            xc2.muliColumnVector(rstd);                              // xc now holds x̂
            INDArray y = s.track(Nd4j.create(t, x.shape()));         // [..., W]
            Broadcast.mul(xc2, weight.value(), Tensors.rows(y), 1).addiRowVector(bias.value());
            if (tape != null) tape.save(this, new Saved(xc, rstd), s);
            return s.ret(y);
        }
    }

    /** {@link #forward} as one fused pass ({@link Kernels#layerNormForward}) into pooled arrays. */
    private INDArray fusedForward(INDArray x, Tape tape) {
        try (Scope s = Scope.open()) {
            long rows = x.length() / width;
            INDArray y = s.track(BufferPool.create(DataType.FLOAT, x.shape()));                  // [..., W]
            INDArray xhat = tape == null ? null : s.track(BufferPool.create(DataType.FLOAT, x.shape())); // [..., W]
            INDArray rstd = tape == null ? null : s.track(Nd4j.createUninitialized(DataType.FLOAT, rows, 1)); // [rows, 1]
            Kernels.layerNormForward(x, weight.value(), bias.value(), EPS, y, xhat, rstd);
            if (tape != null) tape.save(this, new Saved(xhat, rstd), s);
            return s.ret(y);
        }
    }

    /**
     * {@code dy}: [..., W] → new dx. With x̂ the normalised input and g = dy·weight:
     * {@code dx = rstd · (g − mean(g) − x̂ · mean(g·x̂))}; dweight = Σ dy·x̂, dbias = Σ dy.
     */
    public INDArray backward(INDArray dy, Tape tape) {
        try (Scope s = Scope.open()) {
            Saved saved = tape.pop(this, Saved.class, s);
            if (Kernels.applies(dy, saved.xhat(), weight.value())) {
                INDArray dx = s.track(BufferPool.create(DataType.FLOAT, dy.shape())); // [..., W]
                Kernels.layerNormBackward(dy, saved.xhat(), saved.rstd(), weight.value(), dx, weight.grad(),
                        bias.grad());
                return s.ret(dx);
            }
            INDArray xhat = Tensors.rows(saved.xhat()); // [rows, W]
            INDArray rstd = saved.rstd();               // [rows, 1]
            INDArray dy2 = Tensors.rows(dy);            // [rows, W]
            long rows = dy2.size(0);

            INDArray dyXhat = s.track(dy2.mul(xhat));   // [rows, W], reused below as scratch
            weight.accumulate(s.track(Tensors.sumFirst(dyXhat)));  // dweight = Σ_rows dy·x̂, [W]
            bias.accumulate(s.track(Tensors.sumFirst(dy2)));       // dbias = Σ_rows dy, [W]

            // Row means of g = dy·weight and of g·x̂ as matrix-vector products with weight/W (no [rows, W]
            // temporaries): mean(g) = dy · (w/W), mean(g·x̂) = (dy·x̂) · (w/W).
            INDArray wCol = weight.value().reshape('c', width, 1);        // [W, 1] view
            INDArray meanG = s.track(Nd4j.create(dy2.dataType(), rows, 1));
            INDArray meanGx = s.track(Nd4j.create(dy2.dataType(), rows, 1));
            Nd4j.gemm(dy2, wCol, meanG, false, false, 1.0 / width, 0.0);
            Nd4j.gemm(dyXhat, wCol, meanGx, false, false, 1.0 / width, 0.0);

            INDArray dx = s.track(Nd4j.create(dy2.dataType(), dy.shape())); // [..., W]
            INDArray dx2 = Tensors.rows(dx);
            Broadcast.mul(dy2, weight.value(), dx2, 1).subiColumnVector(meanG); // g − mean(g)
            dyXhat.assign(xhat).muliColumnVector(meanGx);                       // x̂ · mean(g·x̂), into scratch
            dx2.subi(dyXhat).muliColumnVector(rstd);
            return s.ret(dx);
        }
    }

    /** A C-contiguous copy of {@code x} in type {@code t}, tracked by {@code s}. */
    private static INDArray upcast(INDArray x, org.nd4j.linalg.api.buffer.DataType t, Scope s) {
        if (x.dataType() == t) return s.track(x.dup('c'));
        INDArray c = s.track(x.castTo(t));
        if (Tensors.isRowMajorContiguous(c)) return c;
        INDArray out = s.track(c.dup('c'));
        s.release(c);
        return out;
    }

    public long width() {
        return width;
    }
}
