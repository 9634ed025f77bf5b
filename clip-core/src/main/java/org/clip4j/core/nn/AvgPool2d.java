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

    /** What backward needs: only the input's shape (an average's gradient does not depend on the values). */
    private record Saved(long[] shape) { // [N, C, H, W] of the input
    }

    /**
     * {@code x}: [N, C, H, W] (borrowed, not kept) → new [N, C, H/s, W/s], channels last if x is (and H, W are
     * multiples of s), else C-contiguous.
     */
    public INDArray forward(INDArray x, Tape tape) {
        long[] shape = x.shape().clone();
        if (shape.length != 4) throw new IllegalArgumentException("expected [N, C, H, W], got " + Arrays.toString(shape));
        long n = shape[0], c = shape[1], ho = shape[2] / s, wo = shape[3] / s;
        try (Scope sc = Scope.open()) {
            if (tape != null) tape.save(this, new Saved(shape), sc);
            if (Tensors.isChannelsLast(x) && ho * s == shape[2] && wo * s == shape[3]) {
                // libnd4j's avgpool2d on the dense [N, H, W, C] view (oneDNN's pooling in the oneDNN builds): about
                // 15× faster than a mean over the s×s axes of a 6-D reshape.
                INDArray base = BufferPool.create(x.dataType(), n, ho, wo, c);          // [N, H/s, W/s, C]
                INDArray y = sc.track(base.permute(0, 3, 1, 2));                       // channels last
                Nd4j.exec(DynamicCustomOp.builder("avgpool2d").addInputs(Tensors.dense(x)).addOutputs(base)
                        .addIntegerArguments(nhwcArgs()).build());
                return sc.ret(y);
            }
            INDArray dense = x;
            if (ho * s != shape[2] || wo * s != shape[3]) {
                dense = sc.track(x.get(all(), all(), interval(0, ho * s), interval(0, wo * s)).dup('c')); // floor mode: crop
            } else if (!Tensors.isRowMajorContiguous(x)) {
                dense = sc.track(x.dup('c'));
            }
            INDArray y = sc.track(dense.reshape('c', n, c, ho, s, wo, s).mean(3, 5)); // [N, C, H/s, W/s]
            if (!Tensors.isRowMajorContiguous(y)) y = sc.track(y.dup('c'));
            return sc.ret(y);
        }
    }

    /**
     * iArgs of libnd4j's avgpool2d ops: kernel s×s, stride s, no padding, dilation 1, explicit padding (0),
     * divisor = all kernel cells (1; none is padding here), NHWC data (1).
     */
    private int[] nhwcArgs() {
        return new int[] {s, s, s, s, 0, 0, 1, 1, 0, 1, 1};
    }

    /** {@code dy}: [N, C, H/s, W/s] (borrowed) → new dx [N, C, H, W]: each input gets 1/s² of its block's gradient. */
    public INDArray backward(INDArray dy, Tape tape) {
        try (Scope sc = Scope.open()) {
            long[] shape = tape.pop(this, Saved.class, sc).shape();
            long n = shape[0], c = shape[1], ho = dy.size(2), wo = dy.size(3);
            if (Tensors.isChannelsLast(dy) && ho * s == shape[2] && wo * s == shape[3]) {
                // avgpool2d_bp writes every element of dx. Its first input only gives the input's shape (an
                // average's gradient does not depend on the values), so dx itself stands in for x, which the
                // tape does not keep.
                INDArray base = BufferPool.create(dy.dataType(), n, ho * s, wo * s, c);  // [N, H, W, C]
                INDArray dx = sc.track(base.permute(0, 3, 1, 2));                     // channels last, like dy
                Nd4j.exec(DynamicCustomOp.builder("avgpool2d_bp").addInputs(base, Tensors.dense(dy)).addOutputs(base)
                        .addIntegerArguments(nhwcArgs()).build());
                return sc.ret(dx);
            }
            INDArray blocks = sc.track(Nd4j.zeros(dy.dataType(), n, c, ho * s, wo * s));
            INDArray g = sc.track(dy.mul(1.0 / (s * s)));
            blocks.reshape('c', n, c, ho, s, wo, s).addi(g.reshape('c', n, c, ho, 1, wo, 1)); // broadcast over s, s
            sc.release(g);
            if (ho * s == shape[2] && wo * s == shape[3]) return sc.ret(blocks);
            INDArray dx = sc.track(Nd4j.zeros(dy.dataType(), shape));             // dropped rows/columns get 0
            dx.get(all(), all(), interval(0, ho * s), interval(0, wo * s)).assign(blocks);
            return sc.ret(dx);
        }
    }
}
