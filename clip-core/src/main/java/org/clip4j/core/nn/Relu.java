package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * {@code max(x, 0)}, element-wise, any shape. Parameter-free.
 *
 * <p>Backward needs only where the output is positive, so the frame keeps a <em>reference to the returned
 * output</em>: the caller owns it and must keep it alive until this layer's backward has run (in a ResNet it is
 * the input of the next convolution anyway, which needs it too).
 */
public final class Relu {
    /** {@code x} (borrowed, not kept) → new {@code max(x, 0)}. */
    public INDArray forward(INDArray x, Tape tape) {
        INDArray y = Transforms.relu(x, true);
        if (tape != null) tape.push(this).ref(y);
        return y;
    }

    /** {@code dy} → new {@code dx = dy where the output was > 0, else 0}. */
    public INDArray backward(INDArray dy, Tape tape) {
        try (Tape.Frame f = tape.pop(this)) {
            INDArray mask = Transforms.step(f.array(0), true); // 1 where y > 0, else 0
            return mask.muli(dy);
        }
    }
}
