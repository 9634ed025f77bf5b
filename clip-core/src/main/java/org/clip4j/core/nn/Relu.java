package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.same.Sign;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@code max(x, 0)}, element-wise, any shape. Parameter-free.
 *
 * <p>Backward needs only where the output is positive, so the frame keeps a <em>reference to the returned
 * output</em>: the caller owns it and must keep it alive until this layer's backward has run (in a ResNet it is
 * the input of the next convolution anyway, which needs it too).
 *
 * <p>The in-place variants save a new buffer and its first-touch page faults, which cost more than the
 * element-wise pass itself on activation-sized arrays.
 */
public final class Relu {
    /** {@code x} (borrowed, not kept) → new {@code max(x, 0)}. */
    public INDArray forward(INDArray x, Tape tape) {
        INDArray y = Tensors.isChannelsLast(x) ? Transforms.relu(Tensors.copy4(x), false) : Transforms.relu(x, true);
        if (tape != null) tape.push(this).ref(y);
        return y;
    }

    /**
     * {@code x ← max(x, 0)} in place; returns x, which the frame references (the caller owns it and keeps it
     * alive until backward, as with {@link #forward}).
     */
    public INDArray forwardInPlace(INDArray x, Tape tape) {
        Transforms.relu(Tensors.dense(x), false);
        if (tape != null) tape.push(this).ref(x);
        return x;
    }

    /** {@code dy} (borrowed) → new {@code dx = dy where the output was > 0, else 0}. */
    public INDArray backward(INDArray dy, Tape tape) {
        return backward(dy, tape, false);
    }

    /**
     * As {@link #backward(INDArray, Tape)}; with {@code overwrite} the result is written into dy (which the
     * caller owns and no longer needs) and dy is returned, unless dy's layout differs from the output's: then
     * the result is new.
     */
    public INDArray backward(INDArray dy, Tape tape, boolean overwrite) {
        try (Tape.Frame f = tape.pop(this)) {
            INDArray y = f.array(0);
            // Into dy when allowed and laid out as y, else into a copy of dy in y's layout.
            INDArray dx = overwrite && Tensors.sameLayout(dy, y) ? dy : Tensors.copy4Like(dy, y);
            // dx = dy where the input was > 0, which is where the output is > 0: dy · sign(y), as y ≥ 0. Two
            // plain passes; libnd4j's relu_bp calls a std::function per element and is 3–4× slower.
            INDArray yd = Tensors.dense(y);
            INDArray mask = BufferPool.create(y.dataType(), yd.shape());
            Nd4j.exec(new Sign(yd, mask));
            Tensors.dense(dx).muli(mask);
            Tensors.release(mask);
            return dx;
        }
    }
}
