package org.clip4j.train.dist;

import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Scope;
import org.clip4j.core.nn.Tensors;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * One rank's share of CLIP's symmetric contrastive loss over a global batch of N pairs (OpenCLIP's
 * {@code --local-loss --gather-with-grad}): the rank owns pairs {@code [off, off+n)}; it computes the cross
 * entropies of its own images against all N texts (rows of the logit matrix) and of its own texts against all N
 * images (columns), each divided by 2N. The shares of all ranks add up to the full-batch loss, so their gradients
 * add up to the full-batch gradient: summing over ranks (all-reduce, reduce-scatter) is exact, and
 * {@code logit_scale} receives exactly its full-batch gradient, not N times it.
 *
 * <p>With â, t̂ the unit-norm gathered features [N, E] and s = exp(logit_scale):
 * <pre>
 *   Lr = s · â_own t̂ᵀ  [n, N]   (own images × all texts, target column off+i)
 *   Lc = s · t̂_own âᵀ  [n, N]   (own texts × all images, target column off+i)
 *   share = (Σᵢ CE(Lr_i) + Σᵢ CE(Lc_i)) / 2N
 *   Gr = (softmax(Lr) − onehot) / 2N,  Gc likewise
 *   ∂/∂â = s·Gcᵀ t̂_own  (+ s·Gr t̂ on own rows),  ∂/∂t̂ = s·Grᵀ â_own  (+ s·Gc â on own rows)
 *   ∂/∂logit_scale = Σ Gr∘Lr + Σ Gc∘Lc
 * </pre>
 * The gradients are with respect to the unit vectors, for all N rows; once reduce-scattered, each owner takes its
 * rows through the normalisation backward ({@link ContrastiveLoss#normalizeBackward}), which is linear in them.
 * Memory: two [n, N] logit blocks (a rank's micro-batch times the global batch).
 */
final class ShardedContrastiveLoss {
    private ShardedContrastiveLoss() {
    }

    /**
     * This rank's loss share, its logit_scale gradient and its gradients for all N unit vectors [N, E], owned by
     * the caller: by its scope when one is open (do not {@link #close()} the share there), else released by
     * {@link #close()}.
     */
    record Share(double loss, double logitScaleGrad, INDArray dUnitImage, INDArray dUnitText) implements AutoCloseable {
        @Override
        public void close() {
            Tensors.release(dUnitImage, dUnitText);
        }
    }

    /**
     * This rank's share: rows {@code [off, off+n)} of the gathered unit features {@code unitImage} and
     * {@code unitText} [N, E] are its own; the gradients are multiplied by {@code gradScale} (loss scaling).
     */
    static Share compute(INDArray unitImage, INDArray unitText, long off, long n, Parameter logitScale, double gradScale) {
        long total = unitImage.size(0);
        double s = Math.exp(logitScale.value().getDouble(0));
        try (Scope sc = Scope.open()) {
            INDArray aOwn = sc.track(unitImage.get(NDArrayIndex.interval(off, off + n), NDArrayIndex.all()).dup('c')); // [n, E]
            INDArray bOwn = sc.track(unitText.get(NDArrayIndex.interval(off, off + n), NDArrayIndex.all()).dup('c'));  // [n, E]
            INDArray lr = sc.track(Nd4j.gemm(aOwn, unitText, false, true)).muli(s);   // [n, N]
            INDArray lc = sc.track(Nd4j.gemm(bOwn, unitImage, false, true)).muli(s);  // [n, N]
            double scale = gradScale / (2.0 * total);
            double[] ce = new double[1];
            INDArray gr = softmaxMinusTarget(lr, off, ce);                  // [n, N], ce[0] += Σ CE; owned by sc
            INDArray gc = softmaxMinusTarget(lc, off, ce);
            double loss = ce[0] / (2.0 * total);
            gr.muli(scale);
            gc.muli(scale);
            INDArray t1 = sc.track(gr.mul(lr)), t2 = sc.track(gc.mul(lc));
            double dls = t1.sumNumber().doubleValue() + t2.sumNumber().doubleValue(); // ∂/∂ls = Σ G∘L
            sc.release(t1, t2, lr, lc);

            INDArray dA = sc.track(Nd4j.gemm(gc, bOwn, true, false)).muli(s);      // [N, E] own texts' columns
            INDArray dB = sc.track(Nd4j.gemm(gr, aOwn, true, false)).muli(s);      // [N, E] own images' rows
            INDArray dAOwn = sc.track(Nd4j.gemm(gr, unitText, false, false)).muli(s);  // [n, E]
            INDArray dBOwn = sc.track(Nd4j.gemm(gc, unitImage, false, false)).muli(s); // [n, E]
            dA.get(NDArrayIndex.interval(off, off + n), NDArrayIndex.all()).addi(dAOwn);
            dB.get(NDArrayIndex.interval(off, off + n), NDArrayIndex.all()).addi(dBOwn);
            return new Share(loss, dls, sc.ret(dA), sc.ret(dB));
        }
    }

    /**
     * Turns logits [n, N] into a new array of row softmaxes minus the one-hot of column {@code off + i} in row i,
     * adding the rows' cross entropies to {@code ce[0]}.
     */
    private static INDArray softmaxMinusTarget(INDArray logits, long off, double[] ce) {
        try (Scope s = Scope.open()) {
            long n = logits.size(0);
            INDArray p = s.track(logits.dup('c'));
            INDArray max = s.track(p.max(true, 1)); // [n, 1]
            p.subiColumnVector(max);                // shifted: every exp ≤ 1
            Transforms.exp(p, false);
            INDArray sum = s.track(p.sum(true, 1)); // [n, 1]
            for (long i = 0; i < n; i++) {
                ce[0] += max.getDouble(i, 0) + Math.log(sum.getDouble(i, 0)) - logits.getDouble(i, off + i);
            }
            p.diviColumnVector(sum);
            for (long i = 0; i < n; i++) p.putScalar(i, off + i, p.getDouble(i, off + i) - 1.0);
            return s.ret(p);
        }
    }
}
