package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
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

    /** {@code x}: [..., W] (borrowed, not kept) → new [..., W]. */
    public INDArray forward(INDArray x, Tape tape) {
        org.nd4j.linalg.api.buffer.DataType t = Tensors.computeType(x);
        INDArray xc = x.dataType() == t ? x.dup('c') : upcast(x, t); // [..., W], owned copy
        INDArray x2 = Tensors.rows(xc);                          // [rows, W] view
        INDArray mean = x2.mean(true, 1);                        // [rows, 1]
        x2.subiColumnVector(mean);                               // centred
        INDArray sq = x2.mul(x2);
        INDArray var = sq.mean(true, 1);                         // [rows, 1], biased variance
        Tensors.release(sq);
        INDArray rstd = Transforms.pow(var.addi(EPS), -0.5, false); // 1/sqrt(var + eps), in place on var
        x2.muliColumnVector(rstd);                               // xc now holds x̂
        INDArray y = xc.dup('c');                                // [..., W]
        Tensors.rows(y).muliRowVector(weight.value()).addiRowVector(bias.value());
        Tensors.release(mean);
        if (tape != null) {
            tape.push(this).keep(xc).keep(rstd);
        } else {
            Tensors.release(xc, rstd);
        }
        return y;
    }

    /**
     * {@code dy}: [..., W] → new dx. With x̂ the normalised input and g = dy·weight:
     * {@code dx = rstd · (g − mean(g) − x̂ · mean(g·x̂))}; dweight = Σ dy·x̂, dbias = Σ dy.
     */
    public INDArray backward(INDArray dy, Tape tape) {
        try (Tape.Frame f = tape.pop(this)) {
            INDArray xhat = Tensors.rows(f.array(0)); // [rows, W]
            INDArray rstd = f.array(1);               // [rows, 1]
            INDArray dy2 = Tensors.rows(dy);          // [rows, W]

            INDArray dyXhat = dy2.mul(xhat);
            INDArray dw = dyXhat.sum(0);
            INDArray db = dy2.sum(0);
            weight.accumulate(dw);
            bias.accumulate(db);

            INDArray g = dy2.mulRowVector(weight.value());       // [rows, W]
            INDArray meanG = g.mean(true, 1);                    // [rows, 1]
            INDArray gx = g.mul(xhat);
            INDArray meanGx = gx.mean(true, 1);                  // [rows, 1]
            INDArray dx = org.nd4j.linalg.factory.Nd4j.create(g.dataType(), dy.shape()); // [..., W]
            Tensors.rows(dx).assign(xhat).muliColumnVector(meanGx)  // x̂ · mean(g·x̂)
                    .rsubi(g).subiColumnVector(meanG).muliColumnVector(rstd);
            Tensors.release(dyXhat, dw, db, g, meanG, gx, meanGx);
            return dx;
        }
    }

    private static INDArray upcast(INDArray x, org.nd4j.linalg.api.buffer.DataType t) {
        INDArray c = x.castTo(t);
        INDArray out = c.dup('c');
        Tensors.release(c);
        return out;
    }

    public long width() {
        return width;
    }
}
