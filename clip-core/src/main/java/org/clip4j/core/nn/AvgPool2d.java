package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

/**
 * Average pooling with kernel = stride = s and no padding, as PyTorch's {@code nn.AvgPool2d(s)}: each output is
 * the mean of one s×s block. Rows/columns left over when H or W is not a multiple of s are dropped (floor mode).
 *
 * <p>The ModifiedResNet uses it for "anti-aliased" downsampling: its convolutions all have stride 1 (except the
 * first stem conv) and an AvgPool(stride) does the downsampling instead. Because the blocks do not overlap, the
 * pool is a reshape [N, C, H/s, s, W/s, s] and a mean over the two s axes: exact and simple.
 */
public final class AvgPool2d {
    private final int s;

    public AvgPool2d(int kernel) {
        if (kernel < 1) throw new IllegalArgumentException("kernel " + kernel);
        this.s = kernel;
    }

    public int kernel() {
        return s;
    }

    /**
     * {@code x}: [N, C, H, W] (borrowed, not kept) → new [N, C, H/s, W/s], channels last if x is (and H, W are
     * multiples of s), else C-contiguous.
     */
    public INDArray forward(INDArray x, Tape tape) {
        long[] shape = x.shape().clone();
        if (shape.length != 4) throw new IllegalArgumentException("expected [N, C, H, W], got " + Arrays.toString(shape));
        long n = shape[0], c = shape[1], ho = shape[2] / s, wo = shape[3] / s;
        if (tape != null) tape.push(this).value(shape);
        if (Tensors.isChannelsLast(x) && ho * s == shape[2] && wo * s == shape[3]) {
            // libnd4j's avgpool2d on the dense [N, H, W, C] view (oneDNN's pooling in the oneDNN builds): about
            // 15× faster than a mean over the s×s axes of a 6-D reshape.
            INDArray y = BufferPool.create(x.dataType(), n, ho, wo, c);             // [N, H/s, W/s, C]
            Nd4j.exec(DynamicCustomOp.builder("avgpool2d").addInputs(Tensors.dense(x)).addOutputs(y)
                    .addIntegerArguments(nhwcArgs()).build());
            return y.permute(0, 3, 1, 2);                                            // channels last
        }
        INDArray dense = x;
        if (ho * s != shape[2] || wo * s != shape[3]) {
            dense = x.get(all(), all(), interval(0, ho * s), interval(0, wo * s)).dup('c'); // floor mode: crop
        } else if (!Tensors.isRowMajorContiguous(x)) {
            dense = x.dup('c');
        }
        INDArray y = dense.reshape('c', n, c, ho, s, wo, s).mean(3, 5); // [N, C, H/s, W/s]
        if (dense != x) Tensors.release(dense);
        if (!Tensors.isRowMajorContiguous(y)) {
            INDArray d = y.dup('c');
            Tensors.release(y);
            y = d;
        }
        return y;
    }

    /**
     * iArgs of libnd4j's avgpool2d ops: kernel s×s, stride s, no padding, dilation 1, explicit padding (0),
     * divisor = all kernel cells (1; none is padding here), NHWC data (1).
     */
    private int[] nhwcArgs() {
        return new int[] {s, s, s, s, 0, 0, 1, 1, 0, 1, 1};
    }

    /** {@code dy}: [N, C, H/s, W/s] → new dx [N, C, H, W]: each input gets 1/s² of its block's gradient. */
    public INDArray backward(INDArray dy, Tape tape) {
        try (Tape.Frame f = tape.pop(this)) {
            long[] shape = f.get(0);
            long n = shape[0], c = shape[1], ho = dy.size(2), wo = dy.size(3);
            if (Tensors.isChannelsLast(dy) && ho * s == shape[2] && wo * s == shape[3]) {
                // avgpool2d_bp writes every element of dx. Its first input only gives the input's shape (an
                // average's gradient does not depend on the values), so dx itself stands in for x, which the
                // tape does not keep.
                INDArray dx = BufferPool.create(dy.dataType(), n, ho * s, wo * s, c);  // [N, H, W, C]
                Nd4j.exec(DynamicCustomOp.builder("avgpool2d_bp").addInputs(dx, Tensors.dense(dy)).addOutputs(dx)
                        .addIntegerArguments(nhwcArgs()).build());
                return dx.permute(0, 3, 1, 2);                                      // channels last, like dy
            }
            INDArray blocks = Nd4j.zeros(dy.dataType(), n, c, ho * s, wo * s);
            INDArray g = dy.mul(1.0 / (s * s));
            blocks.reshape('c', n, c, ho, s, wo, s).addi(g.reshape('c', n, c, ho, 1, wo, 1)); // broadcast over s, s
            Tensors.release(g);
            if (ho * s == shape[2] && wo * s == shape[3]) return blocks;
            INDArray dx = Nd4j.zeros(dy.dataType(), shape);                    // dropped rows/columns get 0
            dx.get(all(), all(), interval(0, ho * s), interval(0, wo * s)).assign(blocks);
            Tensors.release(blocks);
            return dx;
        }
    }
}
