package org.clip4j.train;

import org.clip4j.core.nn.Scope;
import org.clip4j.core.nn.Tape;
import org.clip4j.encoders.ClipModel;
import org.clip4j.encoders.ImageEncoder;
import org.clip4j.encoders.TextTransformer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The loop that {@link FeatureCachingStep} (one process) and {@code dist.DistributedStep} (one rank of several)
 * share; they differ only in the loss stage in its middle:
 * <ol>
 *   <li>encode the K micro-batches, keeping only their features (no activations: no tape), and stack them,
 *       {@code [n, E]} per tower;</li>
 *   <li>the {@link FeatureLoss loss stage}: the loss and its gradient with respect to those features;</li>
 *   <li>encode each micro-batch again, with a tape, and backpropagate its rows of the feature gradient.</li>
 * </ol>
 * With {@code keepSingleTape} and K = 1 the first pass records its activations and step 3 is just the backward.
 * Every array of the step lives in the step's {@link Scope}s: inputs, features and feature gradients are freed as
 * soon as they are no longer needed, and all of them when an exception ends the step.
 */
public final class FeatureCachingLoop {
    private FeatureCachingLoop() {
    }

    /** The loss stage: from the features of all K micro-batches to the loss and the gradients of the features. */
    @FunctionalInterface
    public interface FeatureLoss {
        /**
         * {@code image} and {@code text} ({@code [n, E]}, borrowed) are the features of this process's pairs, in
         * micro-batch order. Accumulates {@code logit_scale}'s gradient and returns the loss and the feature
         * gradients: new {@code [n, E]} arrays returned ({@link Scope#ret}) into the scope that is open when
         * this is called.
         */
        Gradients apply(INDArray image, INDArray text);
    }

    /** The loss and the gradients with respect to the image and text features, {@code [n, E]} each. */
    public record Gradients(double loss, INDArray image, INDArray text) {
    }

    /**
     * Runs the three stages for {@code batches} (see the class comment) and returns the loss of the loss stage.
     * Accumulates ({@code +=}) parameter gradients; the backward of a tower is skipped when its flag is false
     * (its forwards still run in training mode).
     */
    public static double run(ClipModel model, FeatureCachingStep.MicroBatches batches, boolean keepSingleTape,
                             boolean imageBackward, boolean textBackward, FeatureLoss loss) {
        ImageEncoder visual = model.visual();
        TextTransformer text = model.text();
        int k = batches.count();
        boolean keepTape = keepSingleTape && k == 1;
        // Resources close in reverse order: the tapes (frames left after an exception) before the scope.
        try (Scope s = Scope.open(); Tape imageTape = keepTape ? new Tape() : null;
             Tape textTape = keepTape ? new Tape() : null) {
            // 1. Features of every micro-batch.
            INDArray[] imgParts = new INDArray[k], txtParts = new INDArray[k];
            long[] offsets = new long[k + 1];
            for (int i = 0; i < k; i++) {
                INDArray x = own(s, batches.images(i, false)), t = own(s, batches.ids(i));
                if (x.size(0) != t.size(0)) throw new IllegalArgumentException("micro-batch " + i + " has " + x.size(0)
                        + " images but " + t.size(0) + " texts");
                imgParts[i] = visual.forward(x, imageTape);   // [m, E], owned by s
                txtParts[i] = text.forward(t, textTape);      // [m, E]
                offsets[i + 1] = offsets[i] + x.size(0);
                if (!keepTape) s.release(x, t);               // with a tape, it may refer to its input until backward
            }
            INDArray img = concat(s, imgParts), txt = concat(s, txtParts); // [n, E]

            // 2. The loss and the feature gradients (owned by s).
            Gradients g = loss.apply(img, txt);
            s.release(img, txt);

            // 3. Backward: through the kept tapes, or micro-batch by micro-batch with a second forward.
            if (keepTape) {
                if (textBackward) text.backward(g.text(), textTape);
                if (imageBackward) visual.backward(g.image(), imageTape);
            } else {
                for (int i = 0; i < k; i++) {
                    try (Scope si = Scope.open(); Tape it = new Tape(); Tape tt = new Tape()) {
                        INDArray x = own(si, batches.images(i, true)), t = own(si, batches.ids(i));
                        INDArray di = si.track(rows(g.image(), offsets[i], offsets[i + 1]));  // [m, E]
                        INDArray dt = si.track(rows(g.text(), offsets[i], offsets[i + 1]));
                        INDArray fi = visual.forward(x, it), ft = text.forward(t, tt);       // owned by si
                        si.release(fi, ft);
                        if (textBackward) text.backward(dt, tt);
                        if (imageBackward) visual.backward(di, it);
                    }
                }
            }
            return g.loss();
        }
    }

    /**
     * Takes a micro-batch array into {@code s}: a source either creates it outside any scope (untracked) or
     * returns it into the step's scope (already {@code s}'s).
     */
    private static INDArray own(Scope s, INDArray a) {
        return s.owns(a) ? a : s.track(a);
    }

    /** The parts stacked along dimension 0 (the single part itself); the parts are released. */
    private static INDArray concat(Scope s, INDArray[] parts) {
        if (parts.length == 1) return parts[0];
        INDArray out = s.track(Nd4j.concat(0, parts));
        s.release(parts);
        return out;
    }

    /** Rows [from, to) of {@code a} as a new contiguous array. */
    static INDArray rows(INDArray a, long from, long to) {
        INDArrayIndex[] idx = new INDArrayIndex[a.rank()];
        idx[0] = NDArrayIndex.interval(from, to);
        for (int i = 1; i < idx.length; i++) idx[i] = NDArrayIndex.all();
        return a.get(idx).dup('c');
    }
}
