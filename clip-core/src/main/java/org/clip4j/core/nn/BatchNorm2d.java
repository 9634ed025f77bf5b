package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Batch normalisation over the channels of NCHW tensors, as PyTorch's {@code nn.BatchNorm2d(C)} (eps 1e-5,
 * momentum 0.1, affine, tracking running statistics):
 * {@code y = (x − mean) / sqrt(var + eps) · weight + bias}, per channel.
 *
 * <ul>
 *   <li><b>Inference (eval, the default)</b>: mean and var are the {@code running_mean}/{@code running_var}
 *       buffers, so the layer is a fixed per-channel affine map. The reference fixtures and pretrained CLIP
 *       ResNets are evaluated this way.</li>
 *   <li><b>Training</b> ({@link #train(boolean) train(true)}): mean and var are the statistics of the batch
 *       (over N, H, W; biased variance for normalising) and the gradient flows through them. Every training
 *       forward with a tape (one that will be backpropagated) also updates, outside the gradient, {@code running = 0.9·running + 0.1·batch} (momentum 0.1)
 *       where the variance used is the <em>unbiased</em> one (× M/(M−1), M = N·H·W), and increments
 *       {@code num_batches_tracked}, exactly as PyTorch.</li>
 * </ul>
 */
public final class BatchNorm2d extends Module {
    public static final double EPS = 1e-5;
    /** Weight of the new batch statistic in the running average (PyTorch's default momentum). */
    public static final double MOMENTUM = 0.1;

    private final Parameter weight;
    private final Parameter bias;
    private final Parameter runningMean;
    private final Parameter runningVar;
    private final Parameter numBatchesTracked;
    private final long channels;
    private boolean training;

    /** Entries {@code prefix.weight, bias, running_mean, running_var, num_batches_tracked}, in that order. */
    public BatchNorm2d(String prefix, long channels) {
        super(prefix);
        this.channels = channels;
        this.weight = param("weight", channels);
        this.bias = param("bias", channels);
        this.runningMean = buffer("running_mean", channels);
        this.runningVar = buffer("running_var", channels);
        this.numBatchesTracked = buffer("num_batches_tracked"); // scalar counter, INT64 in checkpoints
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    public Parameter runningMean() {
        return runningMean;
    }

    public Parameter runningVar() {
        return runningVar;
    }

    public Parameter numBatchesTracked() {
        return numBatchesTracked;
    }

    public long channels() {
        return channels;
    }

    /** Training mode (batch statistics, running-statistics update) or, with false, inference mode. */
    public void train(boolean on) {
        training = on;
    }

    public boolean isTraining() {
        return training;
    }

    /** PyTorch's defaults: weight 1, bias 0, running mean 0, running var 1, counter 0. */
    public void resetParameters(Init init) {
        init.constant(weight, 1);
        init.constant(bias, 0);
        init.constant(runningMean, 0);
        init.constant(runningVar, 1);
        numBatchesTracked.set(Nd4j.scalar(DataType.INT64, 0L));
    }

    /**
     * {@code x}: [N, C, H, W] (borrowed; kept by reference for backward, so the caller keeps it alive) → new
     * [N, C, H, W].
     */
    public INDArray forward(INDArray x, Tape tape) {
        return forward(x, tape, false);
    }

    /** What backward needs. */
    private record Saved(
            INDArray x,       // [N, C, H, W]: the input (a reference), or its dense copy (owned by the tape)
            INDArray mean,    // [C]: the batch mean (owned by the tape) or, in inference, running_mean (a reference)
            INDArray rstd,    // [C]: 1 / sqrt(var + eps)
            INDArray scale,   // [C]: rstd · weight
            boolean trained)  // batch statistics (the gradient flows through them) or running ones
    {
    }

    /**
     * As {@link #forward(INDArray, Tape)}; with {@code overwrite} and no tape, x is donated (adopted here: the
     * caller must not use it afterwards), the result is written into it and x is returned. With a tape x is
     * needed by backward, so it is not donated (the caller keeps it) and the result is always new.
     *
     * <p>One pass over the activations: libnd4j's {@code batchnorm} op (oneDNN's in the oneDNN builds) computes
     * {@code (x − mean) · weight / sqrt(var + eps) + bias} per channel.
     */
    public INDArray forward(INDArray x, Tape tape, boolean overwrite) {
        if (x.rank() != 4 || x.size(1) != channels) {
            throw new IllegalArgumentException(name() + ": expected [N, " + channels + ", H, W], got "
                    + Arrays.toString(x.shape()));
        }
        try (Scope s = Scope.open()) {
            boolean inPlace = overwrite && tape == null;
            if (inPlace) s.adopt(x);
            boolean last = Tensors.isChannelsLast(x);
            INDArray src = Tensors.isRowMajorContiguous(x) || last ? x : s.track(x.dup('c'));
            INDArray mean, var; // [C] each; the running buffers themselves in inference
            if (training) {
                long m = x.length() / channels; // values per channel
                if (m < 2) throw new IllegalArgumentException(name() + ": training needs more than 1 value per channel");
                // Statistics accumulated in double, as PyTorch's CPU BatchNorm: libnd4j's float sums drift by 1e-6.
                double[][] mv = ChannelSums.meanAndVariance(src);
                mean = vector(s, mv[0], x.dataType());
                var = vector(s, mv[1], x.dataType());
                // Only a forward that records for backward updates the running statistics: feature caching's first,
                // tape-less pass over a micro-batch must not count it twice.
                if (tape != null) updateRunningStatistics(mv[0], mv[1], m);
            } else {
                mean = runningMean.value();
                var = runningVar.value();
            }
            INDArray y = inPlace ? src
                    : s.track(Tensors.create4(x.dataType(), last, x.size(0), channels, x.size(2), x.size(3)));
            // Channels last: the op runs on the dense [N, H, W, C] views with the channel axis 3.
            Nd4j.exec(DynamicCustomOp.builder("batchnorm")
                    .addInputs(Tensors.dense(src), mean, var, weight.value(), bias.value()).addOutputs(Tensors.dense(y))
                    .addIntegerArguments(1, 1, last ? 3 : 1) // apply weight, apply bias, channel axis
                    .addFloatingPointArguments(EPS).build());
            if (y == src && src != x) { // overwrite requested on a non-contiguous x: write back
                x.assign(src);
                y = x;
            }
            if (tape != null) {
                INDArray rstd = s.track(var.add(EPS));
                Transforms.pow(rstd, -0.5, false);
                INDArray scale = s.track(rstd.mul(weight.value()));
                tape.save(this, new Saved(src, mean, rstd, scale, training), s);
            }
            return s.ret(y);
        }
    }

    /** A new [C] array of the given type holding v, tracked by {@code s}. */
    private static INDArray vector(Scope s, double[] v, DataType type) {
        if (type == DataType.DOUBLE) return s.track(Nd4j.createFromArray(v));
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        INDArray out = s.track(Nd4j.createFromArray(f));
        return type == DataType.FLOAT ? out : s.track(out.castTo(type));
    }

    /** The [C] vector v (contiguous, float or double) as doubles, read from its buffer in bulk. */
    private static double[] doubles(INDArray v) {
        double[] out = new double[(int) v.length()];
        if (v.dataType() == DataType.FLOAT && v.elementWiseStride() == 1) {
            float[] f = Kernels.toFloats(v);
            for (int i = 0; i < out.length; i++) out[i] = f[i];
        } else if (v.dataType() == DataType.DOUBLE && v.elementWiseStride() == 1) {
            v.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer().get(Math.toIntExact(v.offset()), out);
        } else {
            for (int i = 0; i < out.length; i++) out[i] = v.getDouble(i); // ≈ 1 µs each: other types only
        }
        return out;
    }

    /**
     * Inference mode only: new [C] arrays {scale, shift} (owned by the caller) with
     * {@code forward(x) = x · scale + shift} per channel (scale = weight / sqrt(running_var + eps),
     * shift = bias − running_mean · scale), to fold this layer into the preceding convolution
     * ({@link Conv2d#forwardAffine}).
     */
    public INDArray[] inferenceAffine() {
        if (training) throw new IllegalStateException(name() + ": training mode uses batch statistics");
        try (Scope s = Scope.open()) {
            INDArray scale = s.track(runningVar.value().add(EPS));
            Transforms.pow(scale, -0.5, false).muli(weight.value());
            INDArray shift = s.track(runningMean.value().mul(scale)).rsubi(bias.value());
            return new INDArray[] {s.ret(scale), s.ret(shift)};
        }
    }

    /**
     * {@code running ← (1 − 0.1)·running + 0.1·batch}; the variance stored is unbiased, var·M/(M−1), while the
     * forward normalises with the biased one (PyTorch does the same). Not part of the gradient.
     */
    private void updateRunningStatistics(double[] mean, double[] biasedVar, long m) {
        // In double, then rounded once, as PyTorch's CPU kernel (momentum·batch + (1 − momentum)·running).
        double[] rm = doubles(runningMean.value()), rv = doubles(runningVar.value());
        for (int c = 0; c < rm.length; c++) {
            rm[c] = MOMENTUM * mean[c] + (1 - MOMENTUM) * rm[c];
            rv[c] = MOMENTUM * biasedVar[c] * m / (m - 1.0) + (1 - MOMENTUM) * rv[c];
        }
        try (Scope s = Scope.open()) {
            runningMean.value().assign(vector(s, rm, runningMean.value().dataType()));
            runningVar.value().assign(vector(s, rv, runningVar.value().dataType()));
        }
        numBatchesTracked.value().addi(1);
    }

    /**
     * {@code dy}: [N, C, H, W] (borrowed) → new dx. With x̂ = (x − mean)·rstd and sums over N, H, W:
     * dbias = Σ dy, dweight = Σ dy·x̂ = rstd·(Σ dy·x − mean·Σ dy). In inference the statistics are constants:
     * {@code dx = dy · s}. In training they depend on x, which gives
     * {@code dx = s · (dy − dbias/M − x̂ · dweight/M)}, applied as {@code dy·s + x·a + c} per channel.
     */
    public INDArray backward(INDArray dy, Tape tape) {
        return backward(dy, tape, false);
    }

    /**
     * As {@link #backward(INDArray, Tape)}; with {@code overwrite} dy is donated (adopted here: the caller must
     * not use it afterwards) and may be used for the result: the return value is then dy itself or, if dy's
     * layout differs from the forward input's, a new array. dx has the layout of the forward input.
     */
    public INDArray backward(INDArray dy, Tape tape, boolean overwrite) {
        return backward(dy, tape, overwrite, null);
    }

    /**
     * As {@link #backward(INDArray, Tape, boolean)} for a BatchNorm whose output went through a ReLU: dy is the
     * gradient at the ReLU's output and {@code reluOutput} that output ({@link Relu#popOutput}). The ReLU's
     * backward (dy where the output is &gt; 0, else 0, as PyTorch's {@code threshold_backward}) then runs inside
     * this layer's pass over dy instead of a pass of its own.
     */
    public INDArray backward(INDArray dy, Tape tape, boolean overwrite, INDArray reluOutput) {
        try (Scope s = Scope.open()) {
            Saved saved = tape.pop(this, Saved.class, s);
            INDArray x = saved.x(), mean = saved.mean(), rstd = saved.rstd(), sc = saved.scale();
            if (overwrite) s.adopt(dy);
            // Work in x's layout: dy in another one (or not dense) is copied into it first.
            INDArray g = dy;
            boolean writable = overwrite;                                 // g may be written into
            if (!Tensors.sameLayout(dy, x)) {
                g = s.track(Tensors.copy4Like(dy, x));
                writable = true;
                if (overwrite) s.release(dy);
            }
            INDArray mask = reluOutput == null || Tensors.sameLayout(reluOutput, x) ? reluOutput
                    : s.track(Tensors.copy4Like(reluOutput, x));
            if (mask != null && x.dataType() == DataType.FLOAT && !VectorApi.enabled()) {
                // Without the Vector API the JIT does not vectorise the mask in ChannelSums' loop (≈ 0.7 ns per
                // element): the ReLU's own two passes (dy·sign(y)) are faster then.
                if (!writable) {
                    g = s.track(Tensors.copy4(g));
                    writable = true;
                }
                Relu.maskInPlace(g, mask);
                mask = null;
            }
            // One pass over dy and x for Σ dy and Σ dy·x in double (see ChannelSums), which also applies the ReLU's
            // mask and, in inference, writes dx = dy·s. Σ dy·x̂ = rstd·(Σ dy·x − mean·Σ dy) is then free of the
            // cancellation it has in float when |mean| ≫ std.
            INDArray dx = null;
            double[][] sums;
            if (!saved.trained()) {
                dx = writable ? g : s.track(like(g));
                sums = ChannelSums.backwardSums(g, x, mask, doubles(sc), dx);
            } else if (mask != null) {
                INDArray masked = writable ? g : s.track(like(g));        // dy with the ReLU's mask applied
                sums = ChannelSums.backwardSums(g, x, mask, null, masked);
                g = masked;
                writable = true;
            } else {
                sums = ChannelSums.backwardSums(g, x, null, null, null);
            }
            double[] sumDy = sums[0], sumDyX = sums[1];
            double[] meanV = doubles(mean), rstdV = doubles(rstd);
            double[] dwV = new double[(int) channels];
            for (int c = 0; c < channels; c++) dwV[c] = (sumDyX[c] - meanV[c] * sumDy[c]) * rstdV[c];
            INDArray db = vector(s, sumDy, x.dataType()), dw = vector(s, dwV, x.dataType());
            if (saved.trained()) {
                // dx = dy·s + x·a + c with a = −s·rstd·dweight/M and c = −a·mean − s·dbias/M per channel
                double m = g.length() / (double) channels;
                INDArray a = s.track(sc.mul(rstd)).muli(dw).muli(-1.0 / m);
                INDArray sdb = s.track(sc.mul(db)).muli(1.0 / m);
                INDArray c = s.track(a.mul(mean)).negi().subi(sdb);
                if (Kernels.applies(Tensors.dense(g), Tensors.dense(x), sc, a, c)) {  // one pass, into g or new
                    dx = writable ? g : s.track(like(g));
                    Kernels.channelAffine(Tensors.dense(g), Tensors.dense(x), Kernels.toFloats(sc),
                            Kernels.toFloats(a), Kernels.toFloats(c), Tensors.dense(dx), Tensors.isChannelsLast(g));
                } else {
                    dx = writable ? g : s.track(Tensors.copy4(g));
                    Channels.mulInPlace(dx, sc);                                    // dy · s
                    Tensors.addInPlace(dx, Channels.mul(x, a));                     // Channels.mul's result: s's
                    Channels.addInPlace(dx, c);
                }
            }
            weight.accumulate(dw);
            bias.accumulate(db);
            return s.ret(dx);
        }
    }

    /** A new array of g's shape, type and layout (pooled; its values are to be written). */
    private static INDArray like(INDArray g) {
        return Tensors.create4(g.dataType(), Tensors.isChannelsLast(g), g.size(0), g.size(1), g.size(2), g.size(3));
    }
}
