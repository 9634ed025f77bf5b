package org.clip4j.train;

import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Scope;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The symmetric contrastive loss and its feature gradients for batches whose N×N logit matrix does not fit in
 * memory (N = 32,768 gives 4 GiB per float matrix): the same result as {@link ContrastiveLoss#forwardBackward}
 * in O(N·E + block·N) memory, two passes over row blocks of the logits.
 *
 * <pre>
 *   L = s·A·Bᵀ (A, B unit rows, s = exp(logit_scale)),  lse_r(i) = logsumexp_j L[i,j],  lse_c(j) = logsumexp_i L[i,j]
 *   loss = ½·(mean_i (lse_r(i) − L[i,i]) + mean_j (lse_c(j) − L[j,j]))
 *   ∂loss/∂L[i,j] = (exp(L[i,j] − lse_r(i)) + exp(L[i,j] − lse_c(j)) − 2δ_ij) / 2N
 * </pre>
 * Pass 1 computes lse_r per block and merges the column log-sum-exps across blocks (running max and sum);
 * pass 2 recomputes each block and accumulates the gradients.
 */
public final class BlockwiseContrastiveLoss {
    private BlockwiseContrastiveLoss() {
    }

    /** Same contract as {@link ContrastiveLoss#forwardBackward}: accumulates logit_scale's gradient. */
    public static ContrastiveLoss.Result forwardBackward(INDArray image, INDArray text, Parameter logitScale, int block) {
        return forwardBackward(image, text, logitScale, block, 1.0);
    }

    /** As {@link ContrastiveLoss#forwardBackward(INDArray, INDArray, Parameter, double)}: gradients of gradScale·loss. */
    public static ContrastiveLoss.Result forwardBackward(INDArray image, INDArray text, Parameter logitScale, int block,
                                                         double gradScale) {
        long n = image.size(0);
        if (text.size(0) != n) throw new IllegalArgumentException("contrastive loss needs as many texts as images, got " + n + " and " + text.size(0));
        double s = Math.exp(logitScale.value().getDouble(0));
        try (Scope sc = Scope.open()) {
            INDArray imgNorm = sc.track(image.norm2(true, 1)), txtNorm = sc.track(text.norm2(true, 1)); // [n, 1]
            INDArray a = sc.track(image.divColumnVector(imgNorm)), b = sc.track(text.divColumnVector(txtNorm)); // [n, E]
            double[] lseRow = new double[(int) n];
            double[] colMax = new double[(int) n], colSum = new double[(int) n];
            java.util.Arrays.fill(colMax, Double.NEGATIVE_INFINITY);
            double diagSum = 0;

            // Pass 1: row log-sum-exps; column log-sum-exps merged across blocks.
            for (long r0 = 0; r0 < n; r0 += block) {
                long r1 = Math.min(n, r0 + block);
                try (Scope sb = Scope.open()) {
                    INDArray logits = blockLogits(a, b, r0, r1, s);                        // [m, n]
                    INDArray rowMax = sb.track(logits.max(true, 1));                        // [m, 1]
                    INDArray e = sb.track(logits.subColumnVector(rowMax));
                    Transforms.exp(e, false);
                    INDArray rowSum = sb.track(e.sum(true, 1));
                    for (long i = r0; i < r1; i++) {
                        lseRow[(int) i] = rowMax.getDouble(i - r0, 0) + Math.log(rowSum.getDouble(i - r0, 0));
                        diagSum += logits.getDouble(i - r0, i);
                    }
                    INDArray bMax = sb.track(logits.max(true, 0));                          // [1, n] block column max
                    INDArray ec = sb.track(logits.subRowVector(bMax));
                    Transforms.exp(ec, false);
                    INDArray bSum = sb.track(ec.sum(true, 0));                              // [1, n]
                    // keepDims: without it a block of one row gives a view of a hidden copy; toDoubleVector() copies too
                    double[] bm = bMax.data().asDouble(), bs = bSum.data().asDouble();
                    for (int j = 0; j < n; j++) { // merge (max, sum) pairs: Σ e^(x−M) with M the new max
                        double m = Math.max(colMax[j], bm[j]);
                        colSum[j] = colSum[j] * Math.exp(colMax[j] - m) + bs[j] * Math.exp(bm[j] - m);
                        colMax[j] = m;
                    }
                }
            }
            double[] lseCol = new double[(int) n];
            double lossRow = 0, lossCol = 0;
            for (int i = 0; i < n; i++) {
                lseCol[i] = colMax[i] + Math.log(colSum[i]);
                lossRow += lseRow[i];
                lossCol += lseCol[i];
            }
            double loss = 0.5 * ((lossRow - diagSum) / n + (lossCol - diagSum) / n);

            // Pass 2: gradients block by block.
            INDArray dA = sc.track(Nd4j.create(a.dataType(), a.shape())), dB = sc.track(Nd4j.zeros(b.dataType(), b.shape()));
            INDArray lseColRow = vector(lseCol, a.dataType(), sc).reshape(1, n);
            double dScale = 0;
            for (long r0 = 0; r0 < n; r0 += block) {
                long r1 = Math.min(n, r0 + block);
                int m = (int) (r1 - r0);
                try (Scope sb = Scope.open()) {
                    INDArray logits = blockLogits(a, b, r0, r1, s);                        // [m, n]
                    double[] lr = java.util.Arrays.copyOfRange(lseRow, (int) r0, (int) r1);
                    INDArray lseR = vector(lr, a.dataType(), sb).reshape(m, 1);
                    INDArray g = sb.track(logits.subColumnVector(lseR));
                    Transforms.exp(g, false);                                               // softmax over rows
                    INDArray pc = sb.track(logits.subRowVector(lseColRow));
                    Transforms.exp(pc, false);                                              // softmax over columns
                    g.addi(pc);
                    for (long i = r0; i < r1; i++) g.putScalar(i - r0, i, g.getDouble(i - r0, i) - 2.0);
                    g.muli(gradScale / (2.0 * n));                                          // ∂loss/∂L for this block
                    INDArray gl = sb.track(g.mul(logits));
                    dScale += gl.sumNumber().doubleValue();                                 // ∂loss/∂ls = Σ G∘L
                    INDArray aBlock = a.get(NDArrayIndex.interval(r0, r1), NDArrayIndex.all());
                    INDArray dABlock = sb.track(Nd4j.gemm(g, b, false, false)).muli(s);     // [m, E]
                    dA.get(NDArrayIndex.interval(r0, r1), NDArrayIndex.all()).assign(dABlock);
                    Nd4j.gemm(g, aBlock, dB, true, false, s, 1.0);                          // dB += s·Gᵀ·A_block
                }
            }
            INDArray gradLs = sc.track(Nd4j.scalar(logitScale.value().dataType(), dScale));
            logitScale.accumulate(gradLs.reshape(logitScale.shape()));
            INDArray dImage = ContrastiveLoss.normalizeBackward(a, imgNorm, dA);           // owned by sc
            INDArray dText = ContrastiveLoss.normalizeBackward(b, txtNorm, dB);
            INDArray lastLogits = Nd4j.empty(a.dataType()); // no elements, no native memory: not tracked
            return new ContrastiveLoss.Result(loss, lastLogits, sc.ret(dImage), sc.ret(dText));
        }
    }

    /** {@code s·A[r0:r1]·Bᵀ}, a new [r1 − r0, n] array returned into the caller's scope. */
    private static INDArray blockLogits(INDArray a, INDArray b, long r0, long r1, double s) {
        try (Scope sc = Scope.open()) {
            INDArray aBlock = sc.track(a.get(NDArrayIndex.interval(r0, r1), NDArrayIndex.all()).dup('c'));
            return sc.ret(sc.track(Nd4j.gemm(aBlock, b, false, true)).muli(s));
        }
    }

    /** {@code v} as a new vector of type {@code type}, owned by {@code s} (no copy left behind by the cast). */
    private static INDArray vector(double[] v, DataType type, Scope s) {
        INDArray d = s.track(Nd4j.createFromArray(v));
        if (d.dataType() == type) return d;
        INDArray t = d.castTo(type);
        return t == d ? d : s.track(t);
    }
}
