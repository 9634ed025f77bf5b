package org.clip4j.encoders;

import org.clip4j.core.nn.Init;
import org.clip4j.core.nn.Module;
import org.clip4j.core.nn.Tape;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The image tower of a CLIP model (state-dict prefix {@code visual}): images [N, 3, R, R] → features [N, E].
 * Implemented by {@link VisionTransformer} and {@link ModifiedResNet}.
 */
public abstract class ImageEncoder extends Module {
    protected ImageEncoder(String name) {
        super(name);
    }

    /** Preprocessed images [N, 3, R, R] (borrowed) → new unnormalised features [N, E]. */
    public abstract INDArray forward(INDArray images, Tape tape);

    /** Accumulates parameter gradients for d loss / d features {@code dFeatures} [N, E]. */
    public abstract void backward(INDArray dFeatures, Tape tape);

    /** Fills every parameter with the reference initialisation. */
    public abstract void initialize(Init init);

    /** Input resolution R. */
    public abstract int imageSize();
}
