package org.clip4j.core.model;

import org.clip4j.core.nn.Init;
import org.clip4j.core.nn.Parameter;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The contrastive loss against a plain-Java definition and central differences (double precision). */
class ContrastiveLossTest {
    private static final double H = 1e-6;

    @Test
    void lossMatchesDefinition() {
        INDArray img = randn(1, 4, 5), txt = randn(2, 4, 5);
        Parameter ls = scale(0.7);
        try (ContrastiveLoss.Result r = ContrastiveLoss.forwardBackward(img, txt, ls)) {
            assertEquals(reference(img, txt, 0.7), r.loss(), 1e-12);
            INDArray lpt = r.logitsPerText();
            assertEquals(r.logitsPerImage().getDouble(1, 3), lpt.getDouble(3, 1), 0.0);
        }
    }

    @Test
    void stableForLargeScale() {
        INDArray img = randn(3, 3, 4), txt = randn(4, 3, 4);
        Parameter ls = scale(Math.log(1000.0)); // logits up to ±1000: a naive exp overflows
        try (ContrastiveLoss.Result r = ContrastiveLoss.forwardBackward(img, txt, ls)) {
            assertTrue(Double.isFinite(r.loss()));
            assertEquals(reference(img, txt, Math.log(1000.0)), r.loss(), 1e-9);
        }
    }

    @Test
    void gradientsIncludingLogitScale() {
        INDArray img = randn(5, 4, 6), txt = randn(6, 4, 6);
        Parameter ls = scale(1.3);
        INDArray dImg, dTxt;
        try (ContrastiveLoss.Result r = ContrastiveLoss.forwardBackward(img, txt, ls)) {
            dImg = r.imageGrad().dup();
            dTxt = r.textGrad().dup();
        }
        DoubleSupplier loss = () -> reference(img, txt, ls.value().getDouble(0));
        check("image features", dImg, img, loss);
        check("text features", dTxt, txt, loss);
        check("logit_scale", ls.grad(), ls.value(), loss);
    }

    @Test
    void logitScaleGradientAccumulates() {
        INDArray img = randn(7, 3, 4), txt = randn(8, 3, 4);
        Parameter ls = scale(0.5);
        ContrastiveLoss.forwardBackward(img, txt, ls).close();
        double once = ls.grad().getDouble(0);
        ContrastiveLoss.forwardBackward(img, txt, ls).close();
        assertEquals(2 * once, ls.grad().getDouble(0), 1e-12);
    }

    private static void check(String what, INDArray analytic, INDArray target, DoubleSupplier f) {
        INDArray flat = target.reshape(target.length());
        double maxErr = 0, maxNum = 0;
        for (long i = 0; i < target.length(); i++) {
            double old = flat.getDouble(i);
            flat.putScalar(i, old + H);
            double up = f.getAsDouble();
            flat.putScalar(i, old - H);
            double down = f.getAsDouble();
            flat.putScalar(i, old);
            double num = (up - down) / (2 * H);
            maxNum = Math.max(maxNum, Math.abs(num));
            maxErr = Math.max(maxErr, Math.abs(num - analytic.reshape(target.length()).getDouble(i)));
        }
        assertTrue(maxErr / maxNum < 1e-6, what + ": normwise relative error " + maxErr / maxNum);
    }

    /** Plain-Java loss: normalise, scale, two mean cross entropies. */
    static double reference(INDArray img, INDArray txt, double logitScale) {
        int n = (int) img.size(0), e = (int) img.size(1);
        double[][] a = unit(img), b = unit(txt);
        double[][] l = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double d = 0;
                for (int k = 0; k < e; k++) d += a[i][k] * b[j][k];
                l[i][j] = Math.exp(logitScale) * d;
            }
        }
        double rows = 0, cols = 0;
        for (int i = 0; i < n; i++) {
            double mr = Double.NEGATIVE_INFINITY, mc = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                mr = Math.max(mr, l[i][j]);
                mc = Math.max(mc, l[j][i]);
            }
            double sr = 0, sc = 0;
            for (int j = 0; j < n; j++) {
                sr += Math.exp(l[i][j] - mr);
                sc += Math.exp(l[j][i] - mc);
            }
            rows += mr + Math.log(sr) - l[i][i];
            cols += mc + Math.log(sc) - l[i][i];
        }
        return (rows / n + cols / n) / 2;
    }

    private static double[][] unit(INDArray x) {
        double[][] v = x.toDoubleMatrix();
        for (double[] row : v) {
            double s = 0;
            for (double d : row) s += d * d;
            s = Math.sqrt(s);
            for (int k = 0; k < row.length; k++) row[k] /= s;
        }
        return v;
    }

    private static Parameter scale(double v) {
        Parameter p = Parameter.trainable("logit_scale");
        new Init(0, DataType.DOUBLE).constant(p, v);
        return p;
    }

    private static INDArray randn(long seed, int rows, int cols) {
        Random r = new Random(seed);
        double[][] v = new double[rows][cols];
        for (double[] row : v) for (int k = 0; k < cols; k++) row[k] = r.nextGaussian();
        return Nd4j.createFromArray(v);
    }
}
