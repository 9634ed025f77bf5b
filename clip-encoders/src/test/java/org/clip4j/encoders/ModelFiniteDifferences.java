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

    /**
     * Normwise error of p's accumulated gradient against central differences (step 1e-6) of {@code f} at up to
     * {@code samples} elements: all of them for small parameters, else random ones (seeded by the name), the
     * largest analytic entry first when {@code largestFirst} (ReLUs leave many exact zeros).
     */
    static double check(Parameter p, DoubleSupplier f, int samples, boolean largestFirst) {
        INDArray v = p.value().reshape(p.numel());
        INDArray g = p.grad().reshape(p.numel());
        Random r = new Random(p.name().hashCode());
        double maxErr = 0, maxNum = 1e-12;
        long top = largestFirst ? Transforms.abs(g, true).argMax().getLong(0) : -1;
        for (int s = 0; s < Math.min(samples, p.numel()); s++) {
            long i = p.numel() <= samples ? s : s == 0 && largestFirst ? top : r.nextInt((int) p.numel());
            double old = v.getDouble(i), h = 1e-6;
            v.putScalar(i, old + h);
            double up = f.getAsDouble();
            v.putScalar(i, old - h);
            double down = f.getAsDouble();
            v.putScalar(i, old);
            double num = (up - down) / (2 * h);
            maxNum = Math.max(maxNum, Math.abs(num));
            maxErr = Math.max(maxErr, Math.abs(num - g.getDouble(i)));
        }
        return maxErr / Math.max(maxNum, g.amaxNumber().doubleValue());
    }
}
