package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * 2-D convolution without bias, as PyTorch's {@code nn.Conv2d(in, out, k, stride, padding, bias=False)}: NCHW
 * activations and a {@code weight} [out, in, k, k] (OIHW, the checkpoint layout), zero padding.
 *
 * <p>Both passes run libnd4j's native {@code conv2d} / {@code conv2d_bp} ops (im2col + BLAS gemm, multi-threaded)
 * with the weight in its OIHW layout ({@code wFormat = 1}). SameDiff's conv2d gradient is known to be wrong for
 * OIHW weights in ND4J 1.0.0-M2.1; the raw {@code conv2d_bp} op called here is not, which the finite-difference
 * tests of this class check (stride 1 and 2, with and without padding).
 */
public final class Conv2d extends Module {
    private final Parameter weight;
    private final long in;
    private final long out;
    private final int kernel;
    private final int stride;
    private final int padding;

    /** A parameter named {@code prefix.weight} of shape [out, in, kernel, kernel]. */
    public Conv2d(String prefix, long in, long out, int kernel, int stride, int padding) {
        super(prefix);
        if (kernel < 1 || stride < 1 || padding < 0) {
            throw new IllegalArgumentException(prefix + ": bad kernel/stride/padding " + kernel + "/" + stride + "/"
                    + padding);
        }
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.weight = param("weight", out, in, kernel, kernel);
    }

    public Parameter weight() {
        return weight;
    }

    public long inChannels() {
        return in;
    }

    public long outChannels() {
        return out;
    }

    /** Output side length for an input side length: {@code (size + 2·padding − kernel) / stride + 1}. */
    public long outSize(long size) {
        return (size + 2L * padding - kernel) / stride + 1;
    }

    /** {@code x}: [N, in, H, W] (borrowed; kept by reference for backward) → new [N, out, H', W']. */
    public INDArray forward(INDArray x, Tape tape) {
        if (x.rank() != 4 || x.size(1) != in) {
            throw new IllegalArgumentException(name() + ": expected [N, " + in + ", H, W], got "
                    + Arrays.toString(x.shape()));
        }
        INDArray y = Nd4j.create(x.dataType(), x.size(0), out, outSize(x.size(2)), outSize(x.size(3)));
        Nd4j.exec(op("conv2d").addInputs(x, weight.value()).addOutputs(y).build());
        if (tape != null) tape.push(this).ref(x);
        return y;
    }

    /** {@code dy}: [N, out, H', W'] → new dx [N, in, H, W]; accumulates dweight. */
    public INDArray backward(INDArray dy, Tape tape) {
        try (Tape.Frame f = tape.pop(this)) {
            INDArray x = f.array(0);
            INDArray dx = Nd4j.create(x.dataType(), x.shape());
            INDArray dw = Nd4j.create(x.dataType(), weight.shape());
            INDArray g = Tensors.isRowMajorContiguous(dy) ? dy : dy.dup('c');
            Nd4j.exec(op("conv2d_bp").addInputs(x, weight.value(), g).addOutputs(dx, dw).build());
            if (g != dy) Tensors.release(g);
            weight.accumulate(dw);
            Tensors.release(dw);
            return dx;
        }
    }

    /**
     * A libnd4j convolution op with this layer's integer arguments: kH, kW, sH, sW, pH, pW, dilation 1, 1,
     * explicit padding (not "same"), data format 0 = NCHW, weight format 1 = [out, in, kH, kW].
     */
    private DynamicCustomOp.DynamicCustomOpsBuilder op(String name) {
        return DynamicCustomOp.builder(name)
                .addIntegerArguments(kernel, kernel, stride, stride, padding, padding, 1, 1, 0, 0, 1);
    }
}
