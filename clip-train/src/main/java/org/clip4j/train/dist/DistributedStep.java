package org.clip4j.train.dist;

import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Tape;
import org.clip4j.core.nn.Tensors;
import org.clip4j.encoders.ClipModel;
import org.clip4j.encoders.ImageEncoder;
import org.clip4j.encoders.TextTransformer;
import org.clip4j.train.FeatureCachingStep;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.List;

/**
 * One data-parallel training step's gradient: each rank encodes its own pairs, the features are all-gathered,
 * each rank computes its {@link ShardedContrastiveLoss share} of the global-batch loss (own rows against all
 * gathered columns), the gradients with respect to the gathered features are reduce-scattered back to their
 * owners, and each rank backpropagates its own rows. With K local micro-batches the features of all K of all ranks
 * form the global batch (feature caching, as {@link FeatureCachingStep}: K forwards without activations, the loss,
 * then K forwards with activations and their backwards).
 *
 * <p>After {@link #forwardBackward} each rank holds the gradient of its pairs' part of the loss;
 * {@link #allReduceGradients} sums them over ranks, which gives every rank the full-batch gradient (the loss
 * shares are already divided by the global batch, so the sum is OpenCLIP's average of per-rank means).
 * {@code logit_scale}'s share is accumulated locally and summed like every other parameter: exactly its
 * full-batch gradient.
 *
 * <p>Bytes per step and rank (float32, E the embedding width, N the global batch, P the trainable parameters):
 * gathers 2·N·E·4·(R−1)/R received, reduce-scatters the same, all-reduce about 2·P·4·(R−1)/R each way.
 */
public final class DistributedStep {
    private DistributedStep() {
    }

    /**
     * Accumulates ({@code +=}) into every parameter's gradient this rank's part of the global-batch gradient (see
     * the class comment) and returns the global-batch loss (the same on every rank). {@code batches} are this
     * rank's K micro-batches; every rank has the same count and sizes.
     */
    public static double forwardBackward(ClipModel model, FeatureCachingStep.MicroBatches batches, Collectives c,
                                         boolean imageBackward, boolean textBackward, double gradScale) {
        ImageEncoder visual = model.visual();
        TextTransformer text = model.text();
        int k = batches.count();
        // K = 1 keeps the activations of the single forward; K > 1 caches features and encodes again.
        boolean keepTape = k == 1;
        Tape imageTape = keepTape ? new Tape() : null, textTape = keepTape ? new Tape() : null;
        List<INDArray> imgParts = new ArrayList<>(), txtParts = new ArrayList<>();
        long[] offsets = new long[k + 1];
        List<INDArray> inputs = new ArrayList<>();
        try {
            for (int i = 0; i < k; i++) {
                INDArray x = batches.images(i, false), t = batches.ids(i);
                if (x.size(0) != t.size(0)) throw new IllegalArgumentException("micro-batch " + i + " has " + x.size(0)
                        + " images but " + t.size(0) + " texts");
                imgParts.add(visual.forward(x, imageTape));   // [m, E]
                txtParts.add(text.forward(t, textTape));      // [m, E]
                offsets[i + 1] = offsets[i] + x.size(0);
                if (keepTape) {
                    inputs.add(x); // the tape may refer to its input until the backward
                    inputs.add(t);
                } else {
                    Tensors.release(x, t);
                }
            }
            INDArray img = concat(imgParts), txt = concat(txtParts); // [n, E] this rank's pairs
            long n = offsets[k];

            // Own norms and unit rows, kept for the normalisation backward; the unit rows are gathered.
            INDArray imgNorm = img.norm2(true, 1), txtNorm = txt.norm2(true, 1);                    // [n, 1]
            INDArray a = img.divColumnVector(imgNorm), b = txt.divColumnVector(txtNorm);                       // [n, E]
            Tensors.release(img, txt);
            INDArray allA = c.allGather(a), allB = c.allGather(b);                                 // [N, E]
            ShardedContrastiveLoss.Share share = ShardedContrastiveLoss.compute(allA, allB, (long) c.rank() * n, n,
                    model.logitScale(), gradScale);
            Tensors.release(allA, allB);
            INDArray gradLs = Nd4j.scalar(model.logitScale().value().dataType(), share.logitScaleGrad())
                    .reshape(model.logitScale().shape());
            model.logitScale().accumulate(gradLs);
            gradLs.close();
            INDArray dA = c.reduceScatterSum(share.dUnitImage()), dB = c.reduceScatterSum(share.dUnitText()); // [n, E]
            share.close();
            INDArray dImg = ContrastiveLoss.normalizeBackward(a, imgNorm, dA);
            INDArray dTxt = ContrastiveLoss.normalizeBackward(b, txtNorm, dB);
            Tensors.release(a, b, imgNorm, txtNorm, dA, dB);
            double loss = c.allReduceSum(share.loss());

            if (keepTape) {
                if (textBackward) text.backward(dTxt, textTape);
                if (imageBackward) visual.backward(dImg, imageTape);
            } else {
                for (int i = 0; i < k; i++) {
                    INDArray x = batches.images(i, true), t = batches.ids(i);
                    INDArray di = rows(dImg, offsets[i], offsets[i + 1]), dt = rows(dTxt, offsets[i], offsets[i + 1]);
                    try (Tape it = new Tape(); Tape tt = new Tape()) {
                        INDArray fi = visual.forward(x, it), ft = text.forward(t, tt);
                        Tensors.release(fi, ft);
                        if (textBackward) text.backward(dt, tt);
                        if (imageBackward) visual.backward(di, it);
                    }
                    Tensors.release(x, t, di, dt);
                }
            }
            Tensors.release(dImg, dTxt);
            return loss;
        } finally {
            if (imageTape != null) imageTape.close();
            if (textTape != null) textTape.close();
            inputs.forEach(INDArray::close);
        }
    }

    /**
     * Sums every parameter's gradient over the ranks, in place (each rank then holds the full-batch gradient).
     * Every rank passes the same parameters in the same order.
     */
    public static void allReduceGradients(List<Parameter> params, Collectives c) {
        for (Parameter p : params) c.allReduceSum(p.grad());
    }

    /**
     * Makes every rank's weights and buffers (BatchNorm statistics) rank {@code root}'s: the start of a run, and
     * after each step for the buffers, which each rank updates from its own batch statistics.
     */
    public static void broadcast(List<Parameter> tensors, Collectives c, int root) {
        for (Parameter p : tensors) c.broadcast(p.value(), root);
    }

    private static INDArray concat(List<INDArray> parts) {
        INDArray out = parts.size() == 1 ? parts.get(0) : Nd4j.concat(0, parts.toArray(INDArray[]::new));
        if (parts.size() > 1) parts.forEach(INDArray::close);
        parts.clear();
        return out;
    }

    private static INDArray rows(INDArray a, long from, long to) {
        return a.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).dup('c');
    }
}
