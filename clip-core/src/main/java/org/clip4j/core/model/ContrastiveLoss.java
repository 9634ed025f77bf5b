package org.clip4j.core.model;

import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Scope;
import org.clip4j.core.nn.Tensors;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * CLIP's symmetric contrastive loss and its gradient.
 *
 * <p>With â, t̂ the L2-normalised image and text features and s = exp(logit_scale):
 * {@code logits_per_image = s · â t̂ᵀ}, {@code logits_per_text} its transpose, and
 * {@code loss = (CE(logits_per_image, arange(n)) + CE(logits_per_text, arange(n))) / 2} with mean-reduced
 * cross entropy; row i of each matrix has class i. The log-softmax is written out (max-shifted) here.
 *
 * <p>Arguments are borrowed; every array returned is new and owned by the caller: by the caller's
 * {@link Scope} when one is open (the methods {@linkplain Scope#ret return} into it), otherwise by the caller
 * directly, who releases it ({@link Tensors#release}, {@link Result#close()}).
 */
public final class ContrastiveLoss {
    private ContrastiveLoss() {
    }

    /**
     * Loss value, logits and the gradients with respect to both (unnormalised) feature matrices. All arrays are
     * new and owned by the caller: inside a {@link Scope} that scope frees them (do not {@link #close()} the
     * result there); outside any scope, {@link #close()} releases them.
     */
    public record Result(double loss, INDArray logitsPerImage, INDArray imageGrad, INDArray textGrad)
            implements AutoCloseable {
        /** The transpose of {@link #logitsPerImage()}, as a new array the caller owns (untracked). */
        public INDArray logitsPerText() {
            return logitsPerImage.transpose().dup('c');
        }

        @Override
        public void close() {
            Tensors.release(logitsPerImage, imageGrad, textGrad);
        }
    }

    /** {@code exp(logit_scale) · norm(image) norm(text)ᵀ}: image [n, E], text [m, E] → new [n, m]. */
    public static INDArray logits(INDArray image, INDArray text, INDArray logitScale) {
        try (Scope s = Scope.open()) {
            INDArray a = normalize(image), b = normalize(text); // [n, E], [m, E] owned by s
            INDArray l = s.track(Nd4j.gemm(a, b, false, true)).muli(Math.exp(logitScale.getDouble(0)));
            return s.ret(l);
        }
    }

    /** Rows divided by their L2 norm (no epsilon, as the reference), a new array. */
    public static INDArray normalize(INDArray x) {
        try (Scope s = Scope.open()) {
            INDArray norm = s.track(x.norm2(true, 1)); // [n, 1]
            return s.ret(s.track(x.divColumnVector(norm)));
        }
    }

    /**
     * Forward and backward: image [n, E] and text [n, E] features (borrowed). Accumulates the gradient of
     * {@code logit_scale} into {@code logitScale.grad()} and returns the feature gradients.
     */
    public static Result forwardBackward(INDArray image, INDArray text, Parameter logitScale) {
        return forwardBackward(image, text, logitScale, 1.0);
    }

    /**
     * As {@link #forwardBackward(INDArray, INDArray, Parameter)} for the loss multiplied by {@code gradScale}
     * (loss scaling): the feature gradients and logit_scale's gradient are scaled by it, the returned loss is not.
     * A power of two scales exactly.
     */
    public static Result forwardBackward(INDArray image, INDArray text, Parameter logitScale, double gradScale) {
        long n = image.size(0);
        if (text.size(0) != n) {
            throw new IllegalArgumentException("contrastive loss needs as many texts as images, got " + n + " and "
                    + text.size(0));
        }
        try (Scope sc = Scope.open()) {
            double s = Math.exp(logitScale.value().getDouble(0));
            INDArray imgNorm = sc.track(image.norm2(true, 1)), txtNorm = sc.track(text.norm2(true, 1)); // [n, 1]
            INDArray a = sc.track(image.divColumnVector(imgNorm));                 // [n, E] unit rows
            INDArray b = sc.track(text.divColumnVector(txtNorm));
            INDArray cos = sc.track(Nd4j.gemm(a, b, false, true));                 // [n, n] cosine similarities
            INDArray logits = sc.track(cos.mul(s));                                // logits_per_image

            // Row-wise CE (per image) uses softmax over columns of each row; the per-text CE is the same on the
            // transpose, i.e. a softmax down each column.
            INDArray pRow = sc.track(logits.dup('c'));
            double lossRow = softmaxRowsInPlace(pRow, logits);
            INDArray logitsT = sc.track(logits.transpose().dup('c'));
            INDArray pCol = sc.track(logitsT.dup('c'));
            double lossCol = softmaxRowsInPlace(pCol, logitsT);
            double loss = 0.5 * (lossRow + lossCol);

            // dLoss/dlogits = ((P_row − I) + (P_colᵀ − I)) / (2n)
            INDArray pColT = sc.track(pCol.transpose().dup('c'));
            INDArray dLogits = pRow.addi(pColT);
            for (int i = 0; i < n; i++) dLogits.putScalar(i, i, dLogits.getDouble(i, i) - 2.0);
            dLogits.muli(gradScale / (2.0 * n));

            // logit_scale: logits = exp(ls)·cos, so dL/dls = s · Σ dLogits ∘ cos.
            INDArray dLogitsCos = sc.track(dLogits.mul(cos));
            INDArray gradLs = sc.track(Nd4j.scalar(logitScale.value().dataType(),
                    s * dLogitsCos.sumNumber().doubleValue()));
            logitScale.accumulate(gradLs.reshape(logitScale.shape()));

            // Through the product: dA = s·dLogits·B, dB = s·dLogitsᵀ·A.
            INDArray dA = sc.track(Nd4j.gemm(dLogits, b, false, false)).muli(s);
            INDArray dB = sc.track(Nd4j.gemm(dLogits, a, true, false)).muli(s);
            INDArray dImage = normalizeBackward(a, imgNorm, dA);                   // owned by sc
            INDArray dText = normalizeBackward(b, txtNorm, dB);
            return new Result(loss, sc.ret(logits), sc.ret(dImage), sc.ret(dText));
        }
    }

    /** For u = x/‖x‖ ({@code norm} = ‖x‖ per row, [n, 1]): dx = (du − u·(Σ du∘u)) / ‖x‖, a new array. */
    public static INDArray normalizeBackward(INDArray u, INDArray norm, INDArray du) {
        try (Scope s = Scope.open()) {
            INDArray duU = s.track(du.mul(u));
            INDArray dot = s.track(duU.sum(true, 1)); // [n, 1]
            INDArray dx = s.track(u.mulColumnVector(dot)).rsubi(du).diviColumnVector(norm);
            return s.ret(dx);
        }
    }

    /**
     * Turns {@code p} (a copy of {@code logits}) into row softmax probabilities in place and returns the mean
     * cross entropy with target i for row i: mean(logsumexp(row) − logits[i, i]).
     */
    private static double softmaxRowsInPlace(INDArray p, INDArray logits) {
        try (Scope s = Scope.open()) {
            long n = p.size(0);
            INDArray max = s.track(p.max(true, 1)); // [n, 1]
            p.subiColumnVector(max);                // shifted: every exp ≤ 1, no overflow
            Transforms.exp(p, false);
            INDArray sum = s.track(p.sum(true, 1)); // [n, 1]
            double ce = 0;
            for (int i = 0; i < n; i++) {
                double logSumExp = max.getDouble(i, 0) + Math.log(sum.getDouble(i, 0));
                ce += logSumExp - logits.getDouble(i, i);
            }
            p.diviColumnVector(sum);
            return ce / n;
        }
    }
}
