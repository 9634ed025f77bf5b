package org.clip4j.train;

import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.nn.Tape;
import org.clip4j.encoders.ClipModel;
import org.clip4j.encoders.ImageEncoder;
import org.clip4j.encoders.TextTransformer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

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
 * micro-batch. Costs one extra forward pass per micro-batch.
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

        /** Images of micro-batch k, [m, 3, R, R], a new array the step closes. Both passes must give equal pixels. */
        INDArray images(int k, boolean secondPass);

        /** Token ids of micro-batch k, [m, C], a new array the step closes. */
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
        ImageEncoder visual = model.visual();
        TextTransformer text = model.text();
        int k = batches.count();

        // 1. Features of every micro-batch, no activations kept.
        List<INDArray> imgParts = new ArrayList<>(), txtParts = new ArrayList<>();
        long[] offsets = new long[k + 1];
        for (int i = 0; i < k; i++) {
            INDArray x = batches.images(i, false), t = batches.ids(i);
            if (x.size(0) != t.size(0)) throw new IllegalArgumentException("micro-batch " + i + " has " + x.size(0)
                    + " images but " + t.size(0) + " texts");
            imgParts.add(visual.forward(x, null));   // [m, E]
            txtParts.add(text.forward(t, null));     // [m, E]
            offsets[i + 1] = offsets[i] + x.size(0);
            x.close();
            t.close();
        }
        INDArray img = Nd4j.concat(0, imgParts.toArray(INDArray[]::new)); // [N, E]
        INDArray txt = Nd4j.concat(0, txtParts.toArray(INDArray[]::new)); // [N, E]
        imgParts.forEach(INDArray::close);
        txtParts.forEach(INDArray::close);
        long n = offsets[k];

        // 2. Whole-batch loss; its feature gradients; logit_scale's gradient is accumulated here.
        double loss;
        // Beyond 4,096 pairs the N×N logits (and their copies) get large: compute them in blocks of rows.
        try (ContrastiveLoss.Result r = n > DENSE_LIMIT
                ? BlockwiseContrastiveLoss.forwardBackward(img, txt, model.logitScale(), 1024, gradScale)
                : ContrastiveLoss.forwardBackward(img, txt, model.logitScale(), gradScale)) {
            loss = r.loss();
            img.close();
            txt.close();
            // 3. Re-encode each micro-batch with a tape and backpropagate its slice.
            for (int i = 0; i < k; i++) {
                long[] c = {offsets[i], offsets[i + 1]};
                INDArray x = batches.images(i, true), t = batches.ids(i);
                INDArray dImg = slice(r.imageGrad(), c), dTxt = slice(r.textGrad(), c);
                try (Tape imageTape = new Tape(); Tape textTape = new Tape()) {
                    INDArray fi = visual.forward(x, imageTape);
                    INDArray ft = text.forward(t, textTape);
                    fi.close();
                    ft.close();
                    if (textBackward) text.backward(dTxt, textTape);
                    if (imageBackward) visual.backward(dImg, imageTape);
                }
                for (INDArray a : new INDArray[]{x, t, dImg, dTxt}) a.close();
            }
        }
        return loss;
    }

    /** Rows [c[0], c[1]) of {@code a} as a new contiguous array. */
    private static INDArray slice(INDArray a, long[] c) {
        INDArrayIndex[] idx = new INDArrayIndex[a.rank()];
        idx[0] = NDArrayIndex.interval(c[0], c[1]);
        for (int i = 1; i < idx.length; i++) idx[i] = NDArrayIndex.all();
        return a.get(idx).dup('c');
    }
}
