package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

/**
 * The ModifiedResNet residual block (expansion 4): 1×1 conv → BN → ReLU → 3×3 conv (pad 1) → BN → ReLU →
 * AvgPool(stride) if stride &gt; 1 → 1×1 conv → BN, plus the identity, then ReLU. When the stride is above 1 or
 * the channel count changes, the identity is {@code downsample}: AvgPool(stride) → 1×1 conv → BN.
 *
 * <p>Every convolution has stride 1: OpenAI's "anti-aliased" variant downsamples by average pooling after the
 * 3×3 conv (and before the 1×1 downsample conv) instead of striding. State-dict order: conv1, bn1, conv2, bn2,
 * conv3, bn3, downsample.0 (conv), downsample.1 (BN); the pool {@code downsample.-1} has no entries.
 *
 * <p>Ownership in training: the children's tape records reference arrays of this block (a BatchNorm its conv's
 * output, a ReLU and the next conv the ReLU's output, a conv the pool's output). This block saves all of them in
 * its own record ({@code Saved}), so they move to the tape; the record is saved after the children's and popped
 * first in backward, so they stay alive (owned by the backward's scope) until every child's backward has run.
 * The block's input and output are the caller's (the caller keeps them alive, as every layer's caller does).
 * In backward every gradient is handed from one child to the next by donation ({@code overwrite}): each child
 * adopts it and may write its result into it.
 */
public final class Bottleneck extends Module {
    public static final int EXPANSION = 4;

    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final Conv2d conv2;
    private final BatchNorm2d bn2;
    private final Conv2d conv3;
    private final BatchNorm2d bn3;
    private final Conv2d downConv;  // null without downsample
    private final BatchNorm2d downBn;
    private final AvgPool2d pool;     // after conv2; null for stride 1
    private final AvgPool2d downPool; // downsample.-1; null for stride 1
    private final Relu relu1 = new Relu();
    private final Relu relu2 = new Relu();
    private final Relu relu3 = new Relu();
    private final int stride;

    public Bottleneck(String prefix, long inplanes, long planes, int stride) {
        super(prefix);
        long out = planes * EXPANSION;
        this.stride = stride;
        this.conv1 = child(new Conv2d(qualify("conv1"), inplanes, planes, 1, 1, 0));
        this.bn1 = child(new BatchNorm2d(qualify("bn1"), planes));
        this.conv2 = child(new Conv2d(qualify("conv2"), planes, planes, 3, 1, 1));
        this.bn2 = child(new BatchNorm2d(qualify("bn2"), planes));
        this.conv3 = child(new Conv2d(qualify("conv3"), planes, out, 1, 1, 0));
        this.bn3 = child(new BatchNorm2d(qualify("bn3"), out));
        this.pool = stride > 1 ? new AvgPool2d(stride) : null;
        this.downPool = stride > 1 ? new AvgPool2d(stride) : null;
        if (stride > 1 || inplanes != out) {
            this.downConv = child(new Conv2d(qualify("downsample.0"), inplanes, out, 1, 1, 0));
            this.downBn = child(new BatchNorm2d(qualify("downsample.1"), out));
        } else {
            this.downConv = null;
            this.downBn = null;
        }
    }

    public int stride() {
        return stride;
    }

    public boolean hasDownsample() {
        return downConv != null;
    }

    /** The convolutions in state-dict order (conv1, conv2, conv3, then downsample.0 if present). */
    public List<Conv2d> convs() {
        return downConv == null ? List.of(conv1, conv2, conv3)
                : List.of(conv1, conv2, conv3, downConv);
    }

    /** The BatchNorms in state-dict order (bn1, bn2, bn3, then downsample.1 if present). */
    public List<BatchNorm2d> batchNorms() {
        return downBn == null ? List.of(bn1, bn2, bn3) : List.of(bn1, bn2, bn3, downBn);
    }

    /** The last BatchNorm of the residual branch (zero-initialised weight in CLIP). */
    public BatchNorm2d bn3() {
        return bn3;
    }

    /**
     * The arrays the children's records reference, owned by the tape until this block's backward has run (null
     * where absent). H' = H/stride.
     */
    private record Saved(
            INDArray c1,    // [N, planes, H, W]: conv1's output (bn1's input)
            INDArray r1,    // [N, planes, H, W]: bn1 → ReLU output (relu1's output, conv2's input)
            INDArray c2,    // [N, planes, H, W]: conv2's output (bn2's input)
            INDArray r2,    // [N, planes, H, W]: bn2 → ReLU output (relu2's output, the pool's or conv3's input)
            INDArray p2,    // [N, planes, H', W']: the pool's output (conv3's input); null for stride 1
            INDArray c3,    // [N, 4·planes, H', W']: conv3's output (bn3's input)
            INDArray px,    // [N, inplanes, H', W']: downsample.-1's output (downsample.0's input); null for stride 1
            INDArray cd)    // [N, 4·planes, H', W']: downsample.0's output (downsample.1's input); null without downsample
    {
    }

    /** conv → BN: {@code c}, the conv output that the BN's record references (null without a tape), and y. */
    private record ConvBn(INDArray c, INDArray y) {
    }

    /**
     * {@code x}: [N, inplanes, H, W] (borrowed; referenced by conv1 and downsample, so keep it alive until
     * backward) → new [N, 4·planes, H/stride, W/stride], referenced by the final ReLU's record (keep it alive too).
     */
    public INDArray forward(INDArray x, Tape tape) {
        try (Scope s = Scope.open()) {
            ConvBn a1 = convBn(s, conv1, bn1, x, tape);
            INDArray r1 = relu1.forwardInPlace(a1.y(), tape);           // [N, planes, H, W]
            ConvBn a2 = convBn(s, conv2, bn2, r1, tape);
            INDArray r2 = relu2.forwardInPlace(a2.y(), tape);           // [N, planes, H, W]
            if (tape == null) s.release(r1);
            INDArray p2 = r2;
            if (pool != null) {
                p2 = pool.forward(r2, tape);                             // [N, planes, H/s, W/s]
                if (tape == null) s.release(r2);
            }
            ConvBn a3 = convBn(s, conv3, bn3, p2, tape);
            INDArray out = a3.y();                                       // [N, 4·planes, H/s, W/s]
            if (tape == null) s.release(p2);
            INDArray px = null;
            ConvBn ad = null;
            if (downConv != null) {
                px = downPool != null ? downPool.forward(x, tape) : x;   // downsample.-1
                ad = convBn(s, downConv, downBn, px, tape);
                if (tape == null && px != x) s.release(px);
                Tensors.addInPlace(out, ad.y());
                s.release(ad.y());                                       // no record references the BN output
            } else {
                Tensors.addInPlace(out, x);
            }
            INDArray y = relu3.forwardInPlace(out, tape);
            if (tape != null) {
                tape.save(this, new Saved(a1.c(), r1, a2.c(), r2, pool != null ? p2 : null, a3.c(),
                        downPool != null ? px : null, ad != null ? ad.c() : null), s);
            }
            return s.ret(y);
        }
    }

    /** {@code dy}: [N, 4·planes, H/s, W/s] (borrowed) → new dx [N, inplanes, H, W]. */
    public INDArray backward(INDArray dy, Tape tape) {
        return backward(dy, tape, false);
    }

    /**
     * As {@link #backward(INDArray, Tape)}; with {@code overwrite} dy is donated (adopted here: the caller must
     * not use it afterwards) and used as scratch.
     */
    public INDArray backward(INDArray dy, Tape tape, boolean overwrite) {
        try (Scope s = Scope.open()) {
            tape.pop(this, Saved.class, s); // the children's arrays: s's until the children's backwards are done
            if (overwrite) s.adopt(dy);
            INDArray dOut = relu3.backward(dy, tape, overwrite); // dy itself when donated and laid out alike
            // Reverse order of the forward calls: the downsample branch was run last.
            INDArray dx, dp2;
            if (downConv != null) {
                INDArray dpx = convBnBackward(s, downConv, downBn, dOut, null, tape, false);
                dx = dpx;
                if (downPool != null) {
                    dx = downPool.backward(dpx, tape);
                    s.release(dpx);
                }
                dp2 = convBnBackward(s, conv3, bn3, dOut, null, tape, true); // last use of dOut: donated
            } else {
                dp2 = convBnBackward(s, conv3, bn3, dOut, null, tape, false);
                dx = dOut;                                            // the identity's gradient: s owns it
            }
            INDArray dr2 = dp2;
            if (pool != null) {
                dr2 = pool.backward(dp2, tape);
                s.release(dp2);
            }
            // The ReLUs after bn2 and bn1: their backward runs inside the BatchNorms' (see BatchNorm2d.backward).
            INDArray dr1 = convBnBackward(s, conv2, bn2, dr2, relu2.popOutput(tape, s), tape, true);
            INDArray dx1 = convBnBackward(s, conv1, bn1, dr1, relu1.popOutput(tape, s), tape, true);
            Tensors.addInPlace(dx, dx1);
            s.release(dx1);
            return s.ret(dx);
        }
    }

    /** Sets the mode of every BatchNorm (training: batch statistics and running-statistics updates). */
    public void train(boolean on) {
        for (BatchNorm2d bn : batchNorms()) bn.train(on);
    }

    /**
     * conv → BN, both results owned by {@code s} (the caller's scope, innermost). With a tape the BN's record
     * references the conv output, returned as {@code c} for the caller to save. Without a tape an inference-mode
     * BatchNorm is folded into the convolution, a training-mode one runs in place on the (donated) conv output.
     */
    private static ConvBn convBn(Scope s, Conv2d conv, BatchNorm2d bn, INDArray x, Tape tape) {
        if (tape == null && !bn.isTraining()) { // inference: the BatchNorm folded into the convolution
            INDArray[] affine = bn.inferenceAffine();
            INDArray y = conv.forwardAffine(x, affine[0], affine[1]);
            s.release(affine);
            return new ConvBn(null, y);
        }
        INDArray c = conv.forward(x, tape);
        INDArray b = bn.forward(c, tape, tape == null); // without a tape c is donated: b is c
        return new ConvBn(tape != null ? c : null, b);
    }

    /**
     * Backward of {@link #convBn}: new dx, owned by {@code s}; with {@code donate} dy (owned by s) goes to the
     * BatchNorm, which may write into it, else dy stays the caller's. With {@code reluOutput} (from
     * {@link Relu#popOutput}) dy is the gradient at the output of the ReLU that followed the BatchNorm.
     */
    private static INDArray convBnBackward(Scope s, Conv2d conv, BatchNorm2d bn, INDArray dy, INDArray reluOutput,
                                           Tape tape, boolean donate) {
        INDArray dc = bn.backward(dy, tape, donate, reluOutput);
        INDArray dx = conv.backward(dc, tape);
        s.release(dc);
        return dx;
    }
}
