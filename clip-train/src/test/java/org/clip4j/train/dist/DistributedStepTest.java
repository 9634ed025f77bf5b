package org.clip4j.train.dist;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.nn.Parameter;
import org.clip4j.encoders.ClipModel;
import org.clip4j.train.FeatureCachingStep;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

/** One distributed step's loss and gradients equal the single-process global batch's. */
class DistributedStepTest {
    static INDArray ids(int n, int ctx, int vocab, long seed) {
        java.util.Random r = new java.util.Random(seed);
        long[][] ids = new long[n][ctx];
        for (long[] row : ids) {
            int len = 1 + r.nextInt(ctx - 2);
            row[0] = vocab - 2;
            for (int i = 1; i <= len; i++) row[i] = 1 + r.nextInt(vocab - 3);
            row[len + 1] = vocab - 1;
        }
        return Nd4j.createFromArray(ids);
    }

    private static Map<String, INDArray> grads(ClipModel m) {
        Map<String, INDArray> g = new HashMap<>();
        for (Parameter p : m.parameters()) g.put(p.name(), p.grad().dup());
        return g;
    }

    /** Micro-batches k·R + r of size m (the data split of {@code RankShare}) of one rank. */
    private static FeatureCachingStep.MicroBatches rankBatches(INDArray images, INDArray ids, int rank, int ranks, int k, int m) {
        return new FeatureCachingStep.MicroBatches() {
            @Override
            public int count() {
                return k;
            }

            private long start(int i) {
                return (long) (i * ranks + rank) * m;
            }

            @Override
            public INDArray images(int i, boolean secondPass) {
                return images.get(NDArrayIndex.interval(start(i), start(i) + m), NDArrayIndex.all(), NDArrayIndex.all(),
                        NDArrayIndex.all()).dup('c');
            }

            @Override
            public INDArray ids(int i) {
                return ids.get(NDArrayIndex.interval(start(i), start(i) + m), NDArrayIndex.all()).dup('c');
            }
        };
    }

    /**
     * The worst per-tensor normwise relative gradient error (index 0) and that of all gradients as one vector (index
     * 1) of R ranks × K micro-batches against feature caching with micro-batch m = N / (R·K) on one process (the same
     * BatchNorm slices); asserts the loss.
     */
    private static double[] gradientErrors(ClipConfig cfg, int n, int ranks, int k) throws Exception {
        int m = n / (ranks * k);
        INDArray images = Nd4j.randn(DataType.FLOAT, n, 3, cfg.vision().imageSize(), cfg.vision().imageSize());
        INDArray ids = ids(n, cfg.text().contextLength(), cfg.text().vocabSize(), 3);
        double full;
        Map<String, INDArray> want;
        try (ClipModel single = ClipModel.create(cfg, 7)) {
            single.train(true);
            full = FeatureCachingStep.forwardBackward(single, images, ids, m);
            want = grads(single);
        }
        List<Collectives> group = LocalCollectives.group(ranks);
        ExecutorService pool = Executors.newFixedThreadPool(ranks);
        List<Future<double[]>> fs = new ArrayList<>();
        for (Collectives c : group) {
            fs.add(pool.submit(() -> {
                try (ClipModel model = ClipModel.create(cfg, 7)) {
                    model.train(true);
                    double loss = DistributedStep.forwardBackward(model, rankBatches(images, ids, c.rank(), ranks, k, m), c,
                            true, true, 1.0);
                    DistributedStep.allReduceGradients(model.parameters(), c);
                    double worst = 0, errSq = 0, normSq = 0;
                    for (Parameter p : model.parameters()) {
                        INDArray w = want.get(p.name());
                        double scale = w.norm2Number().doubleValue(), err = p.grad().sub(w).norm2Number().doubleValue();
                        errSq += err * err;
                        normSq += scale * scale;
                        // zero in exact arithmetic: the ResNet's zero-initialised bn3 gains block their branches
                        if (scale == 0) assertEquals(0, p.grad().norm2Number().doubleValue(), 0.0, p.name());
                        else worst = Math.max(worst, err / scale);
                    }
                    return new double[]{loss, worst, Math.sqrt(errSq / normSq)};
                } catch (RuntimeException | Error e) {
                    c.abort(1);
                    throw e;
                }
            }));
        }
        double worst = 0, global = 0;
        for (Future<double[]> f : fs) {
            double[] r = f.get();
            assertEquals(full, r[0], 1e-6 * Math.abs(full), "loss");
            worst = Math.max(worst, r[1]);
            global = Math.max(global, r[2]);
        }
        pool.shutdownNow();
        return new double[]{worst, global};
    }

    @Test
    void vitGradientsOnRanksEqualTheGlobalBatch() throws Exception {
        // The same sums in another order: a relative 1e-6 or so of every tensor's gradient (eps 6e-8, a few thousand
        // terms); a sample counted twice or a gradient not reduced would be O(1).
        for (int[] rk : new int[][]{{2, 1}, {3, 1}, {2, 2}, {3, 2}}) {
            double e = gradientErrors(DataParallelTrainingTest.vit(), 12, rk[0], rk[1])[0];
            assertTrue(e < 1e-5, rk[0] + " ranks, accum-freq " + rk[1] + ": per-tensor error " + e);
        }
    }

    /**
     * Per-rank BatchNorm (batch statistics of each rank's micro-batch) against one process normalising the same
     * slices. Compared as one vector: BatchNorm over the 1×1 maps of the last stage has only m values per channel
     * and divides rounding noise by their spread, and the attention pool's key bias has a gradient that is zero in
     * exact arithmetic (softmax ignores a shift common to all keys), so some single tensors hold nothing but
     * rounding noise and have no meaningful relative error of their own.
     */
    @Test
    void resnetGradientsOnRanksEqualTheSameBatchNormSlices() throws Exception {
        for (int[] rk : new int[][]{{1, 2}, {2, 1}, {3, 1}, {3, 2}}) {
            double e = gradientErrors(DataParallelTrainingTest.resnet(), 12, rk[0], rk[1])[1];
            assertTrue(e < 1e-5, rk[0] + " ranks, accum-freq " + rk[1] + ": error of the whole gradient " + e);
        }
    }

    @Test
    void sharesAddUpToTheFullLossAndGradient() {
        int n = 12, e = 8;
        INDArray img = Nd4j.randn(DataType.FLOAT, n, e), txt = Nd4j.randn(DataType.FLOAT, n, e);
        Parameter ls = Parameter.trainable("logit_scale");
        ls.set(Nd4j.scalar(DataType.FLOAT, (float) Math.log(1 / 0.07)).reshape(ls.shape()));
        INDArray a = ContrastiveLoss.normalize(img), b = ContrastiveLoss.normalize(txt);
        double want;
        INDArray wantLs;
        INDArray wantDImg, wantDTxt;
        try (ContrastiveLoss.Result r = ContrastiveLoss.forwardBackward(img, txt, ls, 2.0)) {
            want = r.loss();
            wantDImg = r.imageGrad().dup();
            wantDTxt = r.textGrad().dup();
        }
        wantLs = ls.grad().dup();
        for (int ranks : new int[]{1, 2, 3, 4}) {
            int per = n / ranks;
            double loss = 0, dls = 0;
            INDArray dA = Nd4j.zeros(DataType.FLOAT, n, e), dB = Nd4j.zeros(DataType.FLOAT, n, e);
            for (int r = 0; r < ranks; r++) {
                try (ShardedContrastiveLoss.Share s = ShardedContrastiveLoss.compute(a, b, (long) r * per, per, ls, 2.0)) {
                    loss += s.loss();
                    dls += s.logitScaleGrad();
                    dA.addi(s.dUnitImage());
                    dB.addi(s.dUnitText());
                }
            }
            assertEquals(want, loss, 1e-6 * want, ranks + " ranks: loss");
            assertEquals(wantLs.getDouble(0), dls, 1e-5 * Math.abs(wantLs.getDouble(0)), ranks + " ranks: logit_scale gradient");
            INDArray dImg = ContrastiveLoss.normalizeBackward(a, img.norm2(true, 1), dA);
            INDArray dTxt = ContrastiveLoss.normalizeBackward(b, txt.norm2(true, 1), dB);
            assertTrue(dImg.sub(wantDImg).norm2Number().doubleValue() <= 1e-5 * wantDImg.norm2Number().doubleValue(), ranks + " ranks: image gradient");
            assertTrue(dTxt.sub(wantDTxt).norm2Number().doubleValue() <= 1e-5 * wantDTxt.norm2Number().doubleValue(), ranks + " ranks: text gradient");
        }
    }
}
