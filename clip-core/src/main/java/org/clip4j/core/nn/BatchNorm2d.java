package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

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

    /**
     * As {@link #forward(INDArray, Tape)}; with {@code overwrite} and no tape, the result is written into x
     * (which the caller owns and no longer needs) and x is returned. With a tape x is needed by backward, so
     * the result is always new.
     *
     * <p>One pass over the activations: libnd4j's {@code batchnorm} op (oneDNN's in the oneDNN builds) computes
     * {@code (x − mean) · weight / sqrt(var + eps) + bias} per channel.
     */
    public INDArray forward(INDArray x, Tape tape, boolean overwrite) {
        if (x.rank() != 4 || x.size(1) != channels) {
            throw new IllegalArgumentException(name() + ": expected [N, " + channels + ", H, W], got "
                    + Arrays.toString(x.shape()));
        }
        boolean last = Tensors.isChannelsLast(x);
        INDArray src = Tensors.isRowMajorContiguous(x) || last ? x : x.dup('c');
        INDArray mean, var; // [C] each; the running buffers themselves in inference
        if (training) {
            long m = x.length() / channels; // values per channel
            if (m < 2) throw new IllegalArgumentException(name() + ": training needs more than 1 value per channel");
            // Statistics accumulated in double, as PyTorch's CPU BatchNorm: libnd4j's float sums drift by 1e-6.
            double[][] mv = ChannelSums.meanAndVariance(src);
            mean = vector(mv[0], x.dataType());
            var = vector(mv[1], x.dataType());
            // Only a forward that records for backward updates the running statistics: feature caching's first,
            // tape-less pass over a micro-batch must not count it twice.
            if (tape != null) updateRunningStatistics(mv[0], mv[1], m);
        } else {
            mean = runningMean.value();
            var = runningVar.value();
        }
        INDArray y = overwrite && tape == null ? src
                : Tensors.create4(x.dataType(), last, x.size(0), channels, x.size(2), x.size(3));
        // Channels last: the op runs on the dense [N, H, W, C] views with the channel axis 3.
        Nd4j.exec(DynamicCustomOp.builder("batchnorm")
                .addInputs(Tensors.dense(src), mean, var, weight.value(), bias.value()).addOutputs(Tensors.dense(y))
                .addIntegerArguments(1, 1, last ? 3 : 1) // apply weight, apply bias, channel axis
                .addFloatingPointArguments(EPS).build());
        if (y == src && src != x) { // overwrite requested on a non-contiguous x: write back
            x.assign(src);
            Tensors.release(src);
            y = x;
        }
        if (tape != null) {
            INDArray rstd = Transforms.pow(var.add(EPS), -0.5, false);
            INDArray s = rstd.mul(weight.value());
            Tape.Frame f = tape.push(this);
            if (src != x) f.keep(src);
            else f.ref(src);
            if (training) f.keep(mean);
            else f.ref(mean);
            f.keep(rstd).keep(s).value(training);
        } else {
            if (src != x && y != src) Tensors.release(src);
            if (training) Tensors.release(mean);
        }
        if (training) Tensors.release(var);
        return y;
    }

    /** A new [C] array of the given type holding v. */
    private static INDArray vector(double[] v, DataType type) {
        if (type == DataType.DOUBLE) return Nd4j.createFromArray(v);
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        INDArray out = Nd4j.createFromArray(f);
        return type == DataType.FLOAT ? out : out.castTo(type);
    }

    /**
     * Inference mode only: new [C] arrays {scale, shift} with {@code forward(x) = x · scale + shift} per channel
     * (scale = weight / sqrt(running_var + eps), shift = bias − running_mean · scale), to fold this layer into
     * the preceding convolution ({@link Conv2d#forwardAffine}).
     */
    public INDArray[] inferenceAffine() {
        if (training) throw new IllegalStateException(name() + ": training mode uses batch statistics");
        INDArray scale = Transforms.pow(runningVar.value().add(EPS), -0.5, false).muli(weight.value());
        INDArray shift = runningMean.value().mul(scale).rsubi(bias.value());
        return new INDArray[] {scale, shift};
    }

    /**
     * {@code running ← (1 − 0.1)·running + 0.1·batch}; the variance stored is unbiased, var·M/(M−1), while the
     * forward normalises with the biased one (PyTorch does the same). Not part of the gradient.
     */
    private void updateRunningStatistics(double[] mean, double[] biasedVar, long m) {
        // In double, then rounded once, as PyTorch's CPU kernel (momentum·batch + (1 − momentum)·running).
        double[] rm = runningMean.value().toDoubleVector(), rv = runningVar.value().toDoubleVector();
        for (int c = 0; c < rm.length; c++) {
            rm[c] = MOMENTUM * mean[c] + (1 - MOMENTUM) * rm[c];
            rv[c] = MOMENTUM * biasedVar[c] * m / (m - 1.0) + (1 - MOMENTUM) * rv[c];
        }
        INDArray newMean = vector(rm, runningMean.value().dataType()), newVar = vector(rv, runningVar.value().dataType());
        runningMean.value().assign(newMean);
        runningVar.value().assign(newVar);
        Tensors.release(newMean, newVar);
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
     * As {@link #backward(INDArray, Tape)}; with {@code overwrite} dy (which the caller owns and no longer
     * needs) may be used for the result: the return value is then dy itself or, if dy's layout differs from the
     * forward input's, a new array. dx has the layout of the forward input.
     */
    public INDArray backward(INDArray dy, Tape tape, boolean overwrite) {
        try (Tape.Frame f = tape.pop(this)) {
            INDArray x = f.array(0), mean = f.array(1), rstd = f.array(2), s = f.array(3);
            boolean trained = f.get(4);
            // Work in x's layout: dy in another one (or not dense) is copied into it first.
            INDArray g = Tensors.sameLayout(dy, x) ? dy : Tensors.copy4Like(dy, x);
            // Σ dy and Σ dy·x in double (see ChannelSums); Σ dy·x̂ = rstd·(Σ dy·x − mean·Σ dy) is then free of
            // the cancellation it has in float when |mean| ≫ std.
            double[] sumDy = ChannelSums.sum(g), sumDyX = ChannelSums.dot(g, x);
            double[] meanV = mean.toDoubleVector(), rstdV = rstd.toDoubleVector();
            double[] dwV = new double[(int) channels];
            for (int c = 0; c < channels; c++) dwV[c] = (sumDyX[c] - meanV[c] * sumDy[c]) * rstdV[c];
            INDArray db = vector(sumDy, x.dataType()), dw = vector(dwV, x.dataType());
            INDArray dx = overwrite || g != dy ? g : Tensors.copy4(g);
            Channels.mulInPlace(dx, s);                   // dy · s
            if (trained) {
                double m = g.length() / (double) channels;
                INDArray a = s.mul(rstd).muli(dw).muli(-1.0 / m);        // −s·rstd·dweight/M
                INDArray sdb = s.mul(db).muli(1.0 / m);
                INDArray c = a.mul(mean).negi().subi(sdb);                // −a·mean − s·dbias/M
                INDArray xa = Channels.mul(x, a);
                Tensors.addInPlace(dx, xa);
                Channels.addInPlace(dx, c);
                Tensors.release(a, sdb, c, xa);
            }
            weight.accumulate(dw);
            bias.accumulate(db);
            Tensors.release(dw, db);
            return dx;
        }
    }
}
