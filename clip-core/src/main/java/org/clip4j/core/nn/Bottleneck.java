package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;

/**
 * The ModifiedResNet residual block (expansion 4): 1×1 conv → BN → ReLU → 3×3 conv (pad 1) → BN → ReLU →
 * AvgPool(stride) if stride &gt; 1 → 1×1 conv → BN, plus the identity, then ReLU. When the stride is above 1 or
 * the channel count changes, the identity is {@code downsample}: AvgPool(stride) → 1×1 conv → BN.
 *
 * <p>Every convolution has stride 1: OpenAI's "anti-aliased" variant downsamples by average pooling after the
 * 3×3 conv (and before the 1×1 downsample conv) instead of striding. State-dict order: conv1, bn1, conv2, bn2,
 * conv3, bn3, downsample.0 (conv), downsample.1 (BN); the pool {@code downsample.-1} has no entries.
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
     * {@code x}: [N, inplanes, H, W] (borrowed; referenced by conv1 and downsample, so keep it alive until
     * backward) → new [N, 4·planes, H/stride, W/stride], referenced by the final ReLU's frame (keep it alive too).
     */
    public INDArray forward(INDArray x, Tape tape) {
        List<INDArray> kept = new ArrayList<>(); // arrays the children's frames reference
        INDArray r1 = convBnRelu(conv1, bn1, relu1, x, tape, kept);     // [N, planes, H, W]
        INDArray r2 = convBnRelu(conv2, bn2, relu2, r1, tape, kept);    // [N, planes, H, W]
        if (tape == null) Tensors.release(r1);
        INDArray p2 = r2;
        if (pool != null) {
            p2 = pool.forward(r2, tape);                                 // [N, planes, H/s, W/s]
            if (tape != null) kept.add(p2);
            else Tensors.release(r2);
        }
        INDArray out = convBn(conv3, bn3, p2, tape, kept);               // [N, 4·planes, H/s, W/s]
        if (tape == null) Tensors.release(p2);
        if (downConv != null) {
            INDArray px = x;
            if (downPool != null) {
                px = downPool.forward(x, tape);                          // downsample.-1
                if (tape != null) kept.add(px);
            }
            INDArray identity = convBn(downConv, downBn, px, tape, kept);
            if (tape == null && px != x) Tensors.release(px);
            Tensors.addInPlace(out, identity);
            Tensors.release(identity);
        } else {
            Tensors.addInPlace(out, x);
        }
        INDArray y = relu3.forwardInPlace(out, tape);
        if (tape != null) {
            Tape.Frame f = tape.push(this);
            for (INDArray a : kept) f.keep(a);
        }
        return y;
    }

    /** {@code dy}: [N, 4·planes, H/s, W/s] (borrowed) → new dx [N, inplanes, H, W]. */
    public INDArray backward(INDArray dy, Tape tape) {
        return backward(dy, tape, false);
    }

    /**
     * As {@link #backward(INDArray, Tape)}; with {@code overwrite} dy (owned by the caller, no longer needed,
     * C-contiguous) is used as scratch and its contents are lost.
     */
    public INDArray backward(INDArray dy, Tape tape, boolean overwrite) {
        try (Tape.Frame ignored = tape.pop(this)) {
            INDArray dOut = relu3.backward(dy, tape, overwrite); // dy itself when overwriting
            // Reverse order of the forward calls: the downsample branch was run last.
            INDArray dx, dp2;
            if (downConv != null) {
                INDArray dpx = convBnBackward(downConv, downBn, dOut, tape, false);
                dx = downPool != null ? downPool.backward(dpx, tape) : dpx;
                if (dx != dpx) Tensors.release(dpx);
                dp2 = convBnBackward(conv3, bn3, dOut, tape, true); // last use of dOut: scratch
                if (dOut != dy) Tensors.release(dOut);
            } else {
                dp2 = convBnBackward(conv3, bn3, dOut, tape, false);
                dx = dOut == dy ? Tensors.copy4(dy) : dOut;               // the identity's gradient
            }
            INDArray dr2 = dp2;
            if (pool != null) {
                dr2 = pool.backward(dp2, tape);
                Tensors.release(dp2);
            }
            INDArray dr1 = convBnReluBackward(conv2, bn2, relu2, dr2, tape, true);
            Tensors.release(dr2);
            INDArray dx1 = convBnReluBackward(conv1, bn1, relu1, dr1, tape, true);
            Tensors.release(dr1);
            Tensors.addInPlace(dx, dx1);
            Tensors.release(dx1);
            return dx;
        }
    }

    /** Sets the mode of every BatchNorm (training: batch statistics and running-statistics updates). */
    public void train(boolean on) {
        for (BatchNorm2d bn : batchNorms()) bn.train(on);
    }

    /**
     * conv → BN; in training the conv output, which the BatchNorm references, is added to {@code kept}. Without
     * a tape an inference-mode BatchNorm is folded into the convolution, a training-mode one runs in place on
     * the conv output.
     */
    static INDArray convBn(Conv2d conv, BatchNorm2d bn, INDArray x, Tape tape, List<INDArray> kept) {
        if (tape == null && !bn.isTraining()) { // inference: the BatchNorm folded into the convolution
            INDArray[] affine = bn.inferenceAffine();
            INDArray y = conv.forwardAffine(x, affine[0], affine[1]);
            Tensors.release(affine);
            return y;
        }
        INDArray c = conv.forward(x, tape);
        INDArray b = bn.forward(c, tape, true);
        if (tape != null) kept.add(c);
        else if (b != c) Tensors.release(c);
        return b;
    }

    /** conv → BN → ReLU (in place on the BatchNorm output); in training the conv and ReLU outputs go to {@code kept}. */
    static INDArray convBnRelu(Conv2d conv, BatchNorm2d bn, Relu relu, INDArray x, Tape tape, List<INDArray> kept) {
        INDArray r = relu.forwardInPlace(convBn(conv, bn, x, tape, kept), tape);
        if (tape != null) kept.add(r);
        return r;
    }

    /** Backward of {@link #convBn}: new dx; with {@code overwrite} dy (owned by the caller) is used as scratch. */
    static INDArray convBnBackward(Conv2d conv, BatchNorm2d bn, INDArray dy, Tape tape, boolean overwrite) {
        INDArray dc = bn.backward(dy, tape, overwrite);
        INDArray dx = conv.backward(dc, tape);
        if (dc != dy) Tensors.release(dc);
        return dx;
    }

    /** Backward of {@link #convBnRelu}: new dx; with {@code overwrite} dy (owned by the caller) is used as scratch. */
    static INDArray convBnReluBackward(Conv2d conv, BatchNorm2d bn, Relu relu, INDArray dy, Tape tape,
                                       boolean overwrite) {
        INDArray db = relu.backward(dy, tape, overwrite);
        INDArray dx = convBnBackward(conv, bn, db, tape, true);
        if (db != dy) Tensors.release(db);
        return dx;
    }
}
