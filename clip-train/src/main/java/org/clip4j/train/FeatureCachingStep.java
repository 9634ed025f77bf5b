package org.clip4j.train;

import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.nn.Scope;
import org.clip4j.encoders.ClipModel;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;

/**
 * The gradient of the contrastive loss over a global batch larger than memory, exactly: feature caching
 * (GradCache, Gao et al. 2021; OpenCLIP's {@code --accum-freq}).
 *
 * <ol>
 *   <li>Encode every micro-batch without keeping activations (no tape) and keep only the features
 *       ({@code [N, E]} per tower: 32,768 × 512 floats = 64 MB).</li>
 *   <li>Compute the loss of the whole batch and its gradient with respect to the features (and
 *       {@code logit_scale}).</li>
 *   <li>Encode each micro-batch again, this time with a tape, and backpropagate its slice of the feature
 *       gradient. Parameter gradients add up over micro-batches.</li>
 * </ol>
 * The result equals one big batch's gradient (up to float rounding), while activation memory follows the
 * micro-batch. Costs one extra forward pass per micro-batch. The loop is {@link FeatureCachingLoop}'s, shared
 * with data-parallel training.
 */
public final class FeatureCachingStep {
    /** Largest global batch whose loss is computed on the dense N×N matrices. */
    static final int DENSE_LIMIT = 4096;

    private FeatureCachingStep() {
    }

    /**
     * Accumulates ({@code +=}) into every parameter's gradient the gradient of the contrastive loss of the whole
     * batch {@code images [N, 3, R, R]} / {@code ids [N, C]}, working {@code microBatch} pairs at a time, and
     * returns the loss. With {@code microBatch >= N} this is {@link ClipModel#forwardBackward}.
     */
    public static double forwardBackward(ClipModel model, INDArray images, INDArray ids, int microBatch) {
        long n = images.size(0);
        if (ids.size(0) != n) {
            throw new IllegalArgumentException("batch has " + n + " images but " + ids.size(0) + " texts");
        }
        if (microBatch < 1) throw new IllegalArgumentException("micro-batch " + microBatch + ": expected >= 1");
        if (microBatch >= n) return model.forwardBackward(images, ids);
        List<long[]> chunks = new ArrayList<>();
        for (long a = 0; a < n; a += microBatch) chunks.add(new long[]{a, Math.min(n, a + microBatch)});
        return forwardBackward(model, new MicroBatches() {
            @Override
            public int count() {
                return chunks.size();
            }

            @Override
            public INDArray images(int k, boolean secondPass) {
                return slice(images, chunks.get(k));
            }

            @Override
            public INDArray ids(int k) {
                return slice(ids, chunks.get(k));
            }
        });
    }

    /**
     * A global batch as K micro-batches that can be asked for twice: once for the features, once for the
     * gradients. A source may keep the pixels between the passes or prepare them again (a global batch of 32,768
     * images at 224 px is 19.7 GB of pixels: re-decoding keeps memory at the micro-batch).
     */
    public interface MicroBatches {
        /** Number of micro-batches K. */
        int count();

        /**
         * Images of micro-batch k, [m, 3, R, R]: a new array the step owns and releases (created outside any
         * scope, or returned into the step's). Both passes must give equal pixels.
         */
        INDArray images(int k, boolean secondPass);

        /** Token ids of micro-batch k, [m, C]: a new array the step owns and releases, as {@link #images}. */
        INDArray ids(int k);
    }

    /** The whole-batch loss and its gradient, accumulated over the micro-batches of {@code batches}. */
    public static double forwardBackward(ClipModel model, MicroBatches batches) {
        return forwardBackward(model, batches, true, true);
    }

    /**
     * As {@link #forwardBackward(ClipModel, MicroBatches)}, without the backward pass of a tower whose parameters
     * are all frozen. Its second-pass forward still runs in training mode (BatchNorm statistics update once per
     * micro-batch, as without locking).
     */
    public static double forwardBackward(ClipModel model, MicroBatches batches, boolean imageBackward, boolean textBackward) {
        return forwardBackward(model, batches, imageBackward, textBackward, 1.0);
    }

    /**
     * As {@link #forwardBackward(ClipModel, MicroBatches, boolean, boolean)} with the loss gradient multiplied by
     * {@code gradScale} (loss scaling): every accumulated gradient is scaled by it, the returned loss is not.
     */
    public static double forwardBackward(ClipModel model, MicroBatches batches, boolean imageBackward, boolean textBackward,
                                         double gradScale) {
        return FeatureCachingLoop.run(model, batches, false, imageBackward, textBackward, (img, txt) -> {
            try (Scope s = Scope.open()) {
                // Beyond 4,096 pairs the N×N logits (and their copies) get large: compute them in blocks of rows.
                ContrastiveLoss.Result r = img.size(0) > DENSE_LIMIT
                        ? BlockwiseContrastiveLoss.forwardBackward(img, txt, model.logitScale(), 1024, gradScale)
                        : ContrastiveLoss.forwardBackward(img, txt, model.logitScale(), gradScale);
                // the logits are freed here, before the second pass
                return new FeatureCachingLoop.Gradients(r.loss(), s.ret(r.imageGrad()), s.ret(r.textGrad()));
            }
        });
    }

    /** Rows [c[0], c[1]) of {@code a} as a new contiguous array. */
    private static INDArray slice(INDArray a, long[] c) {
        return FeatureCachingLoop.rows(a, c[0], c[1]);
    }
}
