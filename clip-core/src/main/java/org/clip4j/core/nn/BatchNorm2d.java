package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
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
 *       forward also updates, outside the gradient, {@code running = 0.9·running + 0.1·batch} (momentum 0.1)
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

    /** {@code x}: [N, C, H, W] (borrowed, not kept) → new [N, C, H, W]. */
    public INDArray forward(INDArray x, Tape tape) {
        if (x.rank() != 4 || x.size(1) != channels) {
            throw new IllegalArgumentException(name() + ": expected [N, " + channels + ", H, W], got "
                    + Arrays.toString(x.shape()));
        }
        INDArray xhat = x.dup('c');   // becomes (x − mean) · rstd, in place
        INDArray rstd;                // [C], 1/sqrt(var + eps)
        if (training) {
            long m = x.length() / channels; // values per channel
            if (m < 2) throw new IllegalArgumentException(name() + ": training needs more than 1 value per channel");
            INDArray mean = Channels.sum(xhat).divi(m);
            Channels.sub(xhat, mean);
            INDArray sq = xhat.mul(xhat);
            INDArray var = Channels.sum(sq).divi(m); // biased: used to normalise
            Tensors.release(sq);
            updateRunningStatistics(mean, var, m);
            rstd = Transforms.pow(var.addi(EPS), -0.5, false);
            Tensors.release(mean);
        } else {
            Channels.sub(xhat, runningMean.value());
            rstd = Transforms.pow(runningVar.value().add(EPS), -0.5, false);
        }
        Channels.mul(xhat, rstd);
        INDArray y = xhat.dup('c');
        Channels.add(Channels.mul(y, weight.value()), bias.value());
        if (tape != null) {
            tape.push(this).keep(xhat).keep(rstd).value(training);
        } else {
            Tensors.release(xhat, rstd);
        }
        return y;
    }

    /**
     * {@code running ← (1 − 0.1)·running + 0.1·batch}; the variance stored is unbiased, var·M/(M−1), while the
     * forward normalises with the biased one (PyTorch does the same). Not part of the gradient.
     */
    private void updateRunningStatistics(INDArray mean, INDArray biasedVar, long m) {
        INDArray newMean = mean.mul(MOMENTUM);
        runningMean.value().muli(1 - MOMENTUM).addi(newMean);
        INDArray unbiased = biasedVar.mul(MOMENTUM * m / (m - 1.0));
        runningVar.value().muli(1 - MOMENTUM).addi(unbiased);
        Tensors.release(newMean, unbiased);
        numBatchesTracked.value().addi(1);
    }

    /**
     * {@code dy}: [N, C, H, W] → new dx. dweight = Σ dy·x̂, dbias = Σ dy (sums over N, H, W). In inference the
     * statistics are constants: {@code dx = dy · weight · rstd}. In training they depend on x, which adds
     * {@code dx = weight · rstd · (dy − dbias/M − x̂ · dweight/M)}.
     */
    public INDArray backward(INDArray dy, Tape tape) {
        try (Tape.Frame f = tape.pop(this)) {
            INDArray xhat = f.array(0), rstd = f.array(1);
            boolean trained = f.get(2);
            INDArray dyXhat = dy.mul(xhat);
            INDArray dw = Channels.sum(dyXhat);
            INDArray db = Channels.sum(dy);
            Tensors.release(dyXhat);
            INDArray scale = rstd.mul(weight.value()); // [C], weight · rstd
            INDArray dx;
            if (trained) {
                double m = dy.length() / (double) channels;
                dx = xhat.mul(-1.0 / m);            // −x̂/M
                Channels.mul(dx, dw);               // −x̂ · dweight/M
                dx.addi(dy);
                INDArray meanDy = db.div(m);
                Channels.sub(dx, meanDy);           // − dbias/M
                Tensors.release(meanDy);
            } else {
                dx = dy.dup('c');
            }
            Channels.mul(dx, scale);
            weight.accumulate(dw);
            bias.accumulate(db);
            Tensors.release(dw, db, scale);
            return dx;
        }
    }
}
