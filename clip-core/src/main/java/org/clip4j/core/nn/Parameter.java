package org.clip4j.core.nn;

import org.clip4j.core.ClipException;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * One state-dict entry: its full name as in OpenAI/OpenCLIP checkpoints (for example
 * {@code visual.transformer.resblocks.0.attn.in_proj_weight}), its shape, its value and, for trainable entries,
 * its accumulated gradient.
 *
 * <p>A parameter may exist before its value does ({@link #isMaterialized()} is false): a model's structure is
 * built first, then filled from a checkpoint or by initialisation, so loading never allocates twice and
 * parameter counts of large configs need no memory at all.
 *
 * <p>Non-trainable entries are buffers (BatchNorm running statistics, {@code num_batches_tracked}): they are part
 * of the state dict but have no gradient.
 */
public final class Parameter {
    private final String name;
    private final long[] shape;
    private final boolean trainable;
    private final boolean decay;
    private INDArray value;
    private INDArray grad;

    private Parameter(String name, long[] shape, boolean trainable) {
        this.name = name;
        this.shape = shape.clone();
        this.trainable = trainable;
        this.decay = trainable && defaultDecay(name, shape.length);
    }

    /** A trainable parameter of this shape, not yet materialised. */
    public static Parameter trainable(String name, long... shape) {
        return new Parameter(name, shape, true);
    }

    /** A buffer: a state-dict entry without gradient (BatchNorm statistics and counters). */
    public static Parameter buffer(String name, long... shape) {
        return new Parameter(name, shape, false);
    }

    /**
     * OpenCLIP's weight-decay rule: no decay for tensors of rank &lt; 2, BatchNorm/LayerNorm parameters, biases
     * and {@code logit_scale}; decay for matrices, embeddings and convolution kernels.
     */
    static boolean defaultDecay(String name, int rank) {
        return rank >= 2 && !name.contains("bn") && !name.contains("ln") && !name.contains("bias")
                && !name.contains("logit_scale");
    }

    public String name() {
        return name;
    }

    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements (1 for a scalar). */
    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** True for parameters that get gradients; false for buffers. */
    public boolean isTrainable() {
        return trainable;
    }

    /** Hint for optimisers such as AdamW: whether weight decay applies (OpenCLIP's rule). */
    public boolean decay() {
        return decay;
    }

    public boolean isMaterialized() {
        return value != null;
    }

    /** The value; throws if the parameter has not been materialised yet. */
    public INDArray value() {
        if (value == null) throw new IllegalStateException("parameter '" + name + "' has no value yet");
        return value;
    }

    /**
     * Sets the value (the parameter takes ownership; a previous value is released). The shape must match.
     */
    public void set(INDArray v) {
        if (!Arrays.equals(v.shape(), shape)) {
            throw new ClipException("parameter '" + name + "': expected shape " + Arrays.toString(shape)
                    + ", found " + Arrays.toString(v.shape()));
        }
        if (value != null && value != v) {
            if (Memcheck.ENABLED) Memcheck.unpin(value);
            Tensors.release(value);
        }
        value = v;
        if (Memcheck.ENABLED) Memcheck.pin(v);
    }

    /** The accumulated gradient, allocated as zeros on first use (same type and shape as the value). */
    public INDArray grad() {
        if (!trainable) throw new IllegalStateException("buffer '" + name + "' has no gradient");
        if (grad == null) {
            grad = Nd4j.zeros(value().dataType(), shape);
            if (Memcheck.ENABLED) Memcheck.pin(grad);
        }
        return grad;
    }

    /** True once a gradient has been accumulated (or {@link #grad()} was called). */
    public boolean hasGrad() {
        return grad != null;
    }

    /** {@code grad += g}: gradients of successive micro-batches add up until {@link #zeroGrad()}. */
    public void accumulate(INDArray g) {
        grad().addi(g);
    }

    /** Sets the gradient to zero (keeps the buffer). */
    public void zeroGrad() {
        if (grad != null) grad.assign(0);
    }

    /** Releases the value and gradient buffers. */
    public void release() {
        if (Memcheck.ENABLED) {
            Memcheck.unpin(value);
            Memcheck.unpin(grad);
        }
        Tensors.release(value, grad);
        value = null;
        grad = null;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + (trainable ? "" : " (buffer)");
    }
}
