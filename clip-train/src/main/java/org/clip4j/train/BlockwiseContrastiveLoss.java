package org.clip4j.train;

import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.nn.Parameter;
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
        INDArray imgNorm = image.norm2(true, 1), txtNorm = text.norm2(true, 1);      // [n, 1]
        INDArray a = image.divColumnVector(imgNorm), b = text.divColumnVector(txtNorm); // [n, E]
        double[] lseRow = new double[(int) n];
        double[] colMax = new double[(int) n], colSum = new double[(int) n];
        java.util.Arrays.fill(colMax, Double.NEGATIVE_INFINITY);
        double diagSum = 0;

        // Pass 1: row log-sum-exps; column log-sum-exps merged across blocks.
        for (long r0 = 0; r0 < n; r0 += block) {
            long r1 = Math.min(n, r0 + block);
            INDArray logits = blockLogits(a, b, r0, r1, s);                           // [m, n]
            INDArray rowMax = logits.max(true, 1);                                     // [m, 1]
            INDArray e = logits.subColumnVector(rowMax);
            Transforms.exp(e, false);
            INDArray rowSum = e.sum(true, 1);
            for (long i = r0; i < r1; i++) {
                lseRow[(int) i] = rowMax.getDouble(i - r0, 0) + Math.log(rowSum.getDouble(i - r0, 0));
                diagSum += logits.getDouble(i - r0, i);
            }
            INDArray bMax = logits.max(0);                                             // [n] block column max
            INDArray ec = logits.subRowVector(bMax);
            Transforms.exp(ec, false);
            INDArray bSum = ec.sum(0);                                                 // [n]
            double[] bm = bMax.toDoubleVector(), bs = bSum.toDoubleVector();
            for (int j = 0; j < n; j++) { // merge (max, sum) pairs: Σ e^(x−M) with M the new max
                double m = Math.max(colMax[j], bm[j]);
                colSum[j] = colSum[j] * Math.exp(colMax[j] - m) + bs[j] * Math.exp(bm[j] - m);
                colMax[j] = m;
            }
            for (INDArray t : new INDArray[]{logits, rowMax, e, rowSum, bMax, ec, bSum}) t.close();
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
        INDArray dA = Nd4j.create(a.dataType(), a.shape()), dB = Nd4j.zeros(b.dataType(), b.shape());
        INDArray lseColRow = Nd4j.createFromArray(lseCol).castTo(a.dataType()).reshape(1, n);
        double dScale = 0;
        for (long r0 = 0; r0 < n; r0 += block) {
            long r1 = Math.min(n, r0 + block);
            int m = (int) (r1 - r0);
            INDArray logits = blockLogits(a, b, r0, r1, s);                           // [m, n]
            double[] lr = java.util.Arrays.copyOfRange(lseRow, (int) r0, (int) r1);
            INDArray lseR = Nd4j.createFromArray(lr).castTo(a.dataType()).reshape(m, 1);
            INDArray g = logits.subColumnVector(lseR);
            Transforms.exp(g, false);                                                  // softmax over rows
            INDArray pc = logits.subRowVector(lseColRow);
            Transforms.exp(pc, false);                                                 // softmax over columns
            g.addi(pc);
            for (long i = r0; i < r1; i++) g.putScalar(i - r0, i, g.getDouble(i - r0, i) - 2.0);
            g.muli(gradScale / (2.0 * n));                                             // ∂loss/∂L for this block
            INDArray gl = g.mul(logits);
            dScale += gl.sumNumber().doubleValue();                                    // ∂loss/∂ls = Σ G∘L
            INDArray aBlock = a.get(NDArrayIndex.interval(r0, r1), NDArrayIndex.all());
            INDArray dABlock = g.mmul(b).muli(s);                                      // [m, E]
            dA.get(NDArrayIndex.interval(r0, r1), NDArrayIndex.all()).assign(dABlock);
            Nd4j.gemm(g, aBlock, dB, true, false, s, 1.0);                             // dB += s·Gᵀ·A_block
            for (INDArray t : new INDArray[]{logits, lseR, g, pc, gl, dABlock}) t.close();
        }
        INDArray gradLs = Nd4j.scalar(logitScale.value().dataType(), dScale).reshape(logitScale.shape());
        logitScale.accumulate(gradLs);
        INDArray dImage = ContrastiveLoss.normalizeBackward(a, imgNorm, dA), dText = ContrastiveLoss.normalizeBackward(b, txtNorm, dB);
        INDArray lastLogits = Nd4j.empty(a.dataType());
        for (INDArray t : new INDArray[]{imgNorm, txtNorm, a, b, dA, dB, lseColRow, gradLs}) t.close();
        return new ContrastiveLoss.Result(loss, lastLogits, dImage, dText);
    }

    private static INDArray blockLogits(INDArray a, INDArray b, long r0, long r1, double s) {
        INDArray aBlock = a.get(NDArrayIndex.interval(r0, r1), NDArrayIndex.all()).dup('c');
        INDArray l = Nd4j.gemm(aBlock, b, false, true).muli(s);
        aBlock.close();
        return l;
    }
}
