package org.clip4j.encoders;

import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Tensors;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.Random;
import java.util.function.DoubleSupplier;

/** Whole-model gradient checks: the contrastive loss of a double-precision model and central differences. */
final class ModelFiniteDifferences {
    private ModelFiniteDifferences() {
    }

    /** The symmetric contrastive loss of one inference-mode forward (no tape, nothing accumulated). */
    static double loss(ClipModel m, INDArray images, INDArray ids) {
        INDArray img = m.encodeImage(images), txt = m.encodeText(ids);
        Parameter scale = Parameter.trainable("logit_scale");
        scale.set(m.logitScale().value().dup());
        try (ContrastiveLoss.Result r = ContrastiveLoss.forwardBackward(img, txt, scale)) {
            Tensors.release(img, txt);
            scale.release();
            return r.loss();
        }
    }

    /** Central-difference step: about ∛ε for double (ε = 2⁻⁵²), the step that balances truncation and rounding. */
    static final double STEP = 6e-6;

    /**
     * Rounding noise of one loss evaluation, in ulps of the loss. The loss of these micro models is a few thousand
     * double operations deep; the noise measured is 1–3 ulp, and 16 leaves room for other BLAS kernels (AVX2 and
     * AVX-512 builds sum in other orders).
     */
    static final double LOSS_NOISE_ULPS = 16;

    /**
     * Normwise error of p's accumulated gradient against central differences of {@code f} at up to {@code samples}
     * elements: all of them for small parameters, else random ones (seeded by the name), the largest analytic
     * entry first when {@code largestFirst} (ReLUs leave many exact zeros).
     *
     * <p>Error analysis: with step h the central difference carries a truncation error h²/6·|f'''| (about 1e-11
     * here) and a rounding error up to δ/h, where δ = {@link #LOSS_NOISE_ULPS} ulps of the loss is the noise of one
     * evaluation. The rounding part does not shrink with the gradient: for a tensor whose gradients are small
     * (max |g| 7.5e-4 against a loss of 1.1 for {@code visual.layer1.0.conv2.weight} in the eval-mode ResNet test)
     * it reached 1e-6 of them at h = 1e-6 on AVX2 BLAS kernels, while the loss itself was exact to 3 ulp. So the
     * result gives the error and that rounding floor, both normalised by the largest gradient entry: a wrong gradient
     * shows as before, rounding noise does not. Callers assert {@code error() <= 1e-6 + floor()}.
     */
    static Result check(Parameter p, DoubleSupplier f, int samples, boolean largestFirst) {
        INDArray v = p.value().reshape(p.numel());
        INDArray g = p.grad().reshape(p.numel());
        Random r = new Random(p.name().hashCode());
        double maxErr = 0, maxNum = 1e-12, floor = 0;
        long top = largestFirst ? Transforms.abs(g, true).argMax().getLong(0) : -1;
        for (int s = 0; s < Math.min(samples, p.numel()); s++) {
            long i = p.numel() <= samples ? s : s == 0 && largestFirst ? top : r.nextInt((int) p.numel());
            double old = v.getDouble(i), h = STEP;
            v.putScalar(i, old + h);
            double up = f.getAsDouble();
            v.putScalar(i, old - h);
            double down = f.getAsDouble();
            v.putScalar(i, old);
            double num = (up - down) / (2 * h);
            double rounding = LOSS_NOISE_ULPS * Math.ulp(Math.max(Math.abs(up), Math.abs(down))) / h;
            maxNum = Math.max(maxNum, Math.abs(num));
            maxErr = Math.max(maxErr, Math.abs(num - g.getDouble(i)));
            floor = Math.max(floor, rounding);
        }
        double scale = Math.max(maxNum, g.amaxNumber().doubleValue());
        return new Result(maxErr / scale, floor / scale);
    }

    /** Largest |numeric − analytic| and the rounding floor δ/h, both over the largest gradient entry. */
    record Result(double error, double floor) {
        /** The check: error within 1e-6 of the gradient scale beyond the rounding floor. */
        boolean passes() {
            return error <= 1e-6 + floor;
        }

        @Override
        public String toString() {
            return String.format("FD normwise rel. error %.2e (rounding floor %.1e)", error, floor);
        }
    }
}
