package org.clip4j.train.dist;

import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Scope;
import org.clip4j.encoders.ClipModel;
import org.clip4j.train.FeatureCachingLoop;
import org.clip4j.train.FeatureCachingStep;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

/**
 * One data-parallel training step's gradient: each rank encodes its own pairs, the features are all-gathered,
 * each rank computes its {@link ShardedContrastiveLoss share} of the global-batch loss (own rows against all
 * gathered columns), the gradients with respect to the gathered features are reduce-scattered back to their
 * owners, and each rank backpropagates its own rows. With K local micro-batches the features of all K of all ranks
 * form the global batch (feature caching, as {@link FeatureCachingStep}: K forwards without activations, the loss,
 * then K forwards with activations and their backwards; the loop is {@link FeatureCachingLoop}'s).
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
        // K = 1 keeps the activations of the single forward; K > 1 caches features and encodes again.
        return FeatureCachingLoop.run(model, batches, true, imageBackward, textBackward,
                (img, txt) -> shareOfLoss(img, txt, model.logitScale(), c, gradScale));
    }

    /**
     * The loss stage of one rank: img, txt [n, E] are this rank's features (borrowed). Returns the global-batch
     * loss and the gradients for this rank's features (returned into the caller's scope).
     */
    private static FeatureCachingLoop.Gradients shareOfLoss(INDArray img, INDArray txt, Parameter logitScale,
                                                            Collectives c, double gradScale) {
        try (Scope s = Scope.open()) {
            long n = img.size(0);
            // Own norms and unit rows, kept for the normalisation backward; the unit rows are gathered.
            INDArray imgNorm = s.track(img.norm2(true, 1)), txtNorm = s.track(txt.norm2(true, 1));       // [n, 1]
            INDArray a = s.track(img.divColumnVector(imgNorm)), b = s.track(txt.divColumnVector(txtNorm)); // [n, E]
            INDArray allA = c.allGather(a), allB = c.allGather(b);                 // [N, E], owned by s
            ShardedContrastiveLoss.Share share = ShardedContrastiveLoss.compute(allA, allB, (long) c.rank() * n, n,
                    logitScale, gradScale);                                        // its arrays owned by s
            s.release(allA, allB);
            INDArray gradLs = s.track(Nd4j.scalar(logitScale.value().dataType(), share.logitScaleGrad()));
            logitScale.accumulate(gradLs.reshape(logitScale.shape()));
            INDArray dA = c.reduceScatterSum(share.dUnitImage()), dB = c.reduceScatterSum(share.dUnitText()); // [n, E]
            s.release(share.dUnitImage(), share.dUnitText());
            INDArray dImg = ContrastiveLoss.normalizeBackward(a, imgNorm, dA);
            INDArray dTxt = ContrastiveLoss.normalizeBackward(b, txtNorm, dB);
            double loss = c.allReduceSum(share.loss());
            return new FeatureCachingLoop.Gradients(loss, s.ret(dImg), s.ret(dTxt));
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
}
