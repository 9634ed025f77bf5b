package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.same.Sign;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@code max(x, 0)}, element-wise, any shape. Parameter-free.
 *
 * <p>Backward needs only where the output is positive, so the tape record keeps a <em>reference to the returned
 * output</em>: the caller owns it and must keep it alive until this layer's backward has run (in a ResNet it is
 * the input of the next convolution anyway, which needs it too, and the block's own record holds it).
 *
 * <p>The in-place variants save a new buffer and its first-touch page faults, which cost more than the
 * element-wise pass itself on activation-sized arrays.
 */
public final class Relu {
    /** What backward needs. */
    private record Saved(INDArray y) { // [any]: the output (a reference: the caller owns it)
    }

    /** {@code x} (borrowed, not kept) → new {@code max(x, 0)}. */
    public INDArray forward(INDArray x, Tape tape) {
        try (Scope s = Scope.open()) {
            INDArray y = s.track(Tensors.isChannelsLast(x) ? Tensors.copy4(x) : x.dup());
            Transforms.relu(y, false);
            s.ret(y); // the caller's first: the record then holds a reference
            if (tape != null) tape.save(this, new Saved(y), s);
            return y;
        }
    }

    /**
     * {@code x ← max(x, 0)} in place; returns x, which stays the caller's and which the record references (the
     * caller keeps it alive until backward, as with {@link #forward}).
     */
    public INDArray forwardInPlace(INDArray x, Tape tape) {
        Transforms.relu(Tensors.dense(x), false);
        if (tape != null) {
            try (Scope s = Scope.open()) {
                tape.save(this, new Saved(x), s);
            }
        }
        return x;
    }

    /**
     * dx ← dx where y &gt; 0, else 0 (dx and y of one shape and layout): the backward of a ReLU with output y.
     * Computed as dy · sign(y), as y ≥ 0, in two plain passes; libnd4j's relu_bp calls a std::function per element
     * and is 3–4× slower.
     */
    static void maskInPlace(INDArray dx, INDArray y) {
        try (Scope s = Scope.open()) {
            INDArray yd = Tensors.dense(y);
            INDArray mask = s.track(BufferPool.create(y.dataType(), yd.shape()));
            Nd4j.exec(new Sign(yd, mask));
            Tensors.dense(dx).muli(mask);
        }
    }

    /**
     * Pops this layer's record for a caller that runs the ReLU's backward inside the next backward
     * ({@link BatchNorm2d#backward(INDArray, Tape, boolean, INDArray)}): returns the output y (the caller's
     * array); the gradient passes where y &gt; 0.
     */
    public INDArray popOutput(Tape tape, Scope scope) {
        return tape.pop(this, Saved.class, scope).y();
    }

    /** {@code dy} (borrowed) → new {@code dx = dy where the output was > 0, else 0}. */
    public INDArray backward(INDArray dy, Tape tape) {
        return backward(dy, tape, false);
    }

    /**
     * As {@link #backward(INDArray, Tape)}; with {@code overwrite} dy is donated (the callee adopts it: the
     * caller must not use it afterwards) and the result is written into it and dy returned, unless dy's layout
     * differs from the output's: then the result is new (and dy is freed here).
     */
    public INDArray backward(INDArray dy, Tape tape, boolean overwrite) {
        try (Scope s = Scope.open()) {
            INDArray y = tape.pop(this, Saved.class, s).y();
            if (overwrite) s.adopt(dy);
            // Into dy when allowed and laid out as y, else into a copy of dy in y's layout.
            INDArray dx;
            if (overwrite && Tensors.sameLayout(dy, y)) {
                dx = dy;
            } else {
                dx = s.track(Tensors.copy4Like(dy, y));
                if (overwrite) s.release(dy);
            }
            maskInPlace(dx, y);
            return s.ret(dx);
        }
    }
}
