package org.clip4j.train.optim;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Parameter;

import java.util.List;

/**
 * {@link AdamW} with its settings. {@code moments} null (the default, {@link #of(double, double)}) takes the CLIP
 * paper's values for the model's image tower, as OpenCLIP does: {@link Moments#VIT} for a ViT,
 * {@link Moments#RESNET} for a ModifiedResNet.
 *
 * @param lr          base learning rate (finite, &gt;= 0)
 * @param moments     β1, β2 and ε, or null for the image tower's defaults
 * @param weightDecay decoupled weight decay on the decay group (finite, &gt;= 0); none on gains, biases, norms and
 *                    {@code logit_scale}
 */
public record AdamWConfig(double lr, Moments moments, double weightDecay) implements OptimizerConfig {
    /**
     * Adam's moment settings.
     *
     * @param beta1 decay of the first moment, in [0, 1)
     * @param beta2 decay of the second moment, in [0, 1)
     * @param eps   added to the denominator (finite, &gt;= 0)
     */
    public record Moments(double beta1, double beta2, double eps) {
        /** The CLIP paper's ViT settings: β1 0.9, β2 0.98, ε 1e-6. */
        public static final Moments VIT = new Moments(0.9, 0.98, 1e-6);
        /** The CLIP paper's ResNet settings: β1 0.9, β2 0.999, ε 1e-8. */
        public static final Moments RESNET = new Moments(0.9, 0.999, 1e-8);

        public Moments {
            new Checks().unitInterval("AdamWConfig.beta1", beta1).unitInterval("AdamWConfig.beta2", beta2)
                    .finite("AdamWConfig.eps", eps, 0, Double.MAX_VALUE).throwIfAny();
        }

        /** The defaults for a model's image tower. */
        public static Moments forModel(ClipConfig model) {
            return model.vision().isResNet() ? RESNET : VIT;
        }
    }

    public AdamWConfig {
        new Checks().finite("AdamWConfig.lr", lr, 0, Double.MAX_VALUE)
                .finite("AdamWConfig.weightDecay", weightDecay, 0, Double.MAX_VALUE).throwIfAny();
    }

    /** AdamW with the CLIP paper's betas and eps for the model's image tower. */
    public static AdamWConfig of(double lr, double weightDecay) {
        return new AdamWConfig(lr, null, weightDecay);
    }

    /** AdamW with explicit betas and eps (all checked together). */
    public static AdamWConfig of(double lr, double beta1, double beta2, double eps, double weightDecay) {
        Checks c = new Checks().finite("AdamWConfig.lr", lr, 0, Double.MAX_VALUE).unitInterval("AdamWConfig.beta1", beta1)
                .unitInterval("AdamWConfig.beta2", beta2).finite("AdamWConfig.eps", eps, 0, Double.MAX_VALUE)
                .finite("AdamWConfig.weightDecay", weightDecay, 0, Double.MAX_VALUE);
        c.throwIfAny();
        return new AdamWConfig(lr, new Moments(beta1, beta2, eps), weightDecay);
    }

    /** The same settings with another base learning rate. */
    public AdamWConfig withLr(double v) {
        return new AdamWConfig(v, moments, weightDecay);
    }

    /** The moments a model of architecture {@code model} trains with. */
    public Moments momentsFor(ClipConfig model) {
        return moments != null ? moments : Moments.forModel(model);
    }

    @Override
    public Optimizer create(List<Parameter> params, ClipConfig model) {
        Moments m = momentsFor(model);
        return new AdamW(params, m.beta1(), m.beta2(), m.eps(), weightDecay);
    }

    @Override
    public String describe(ClipConfig model) {
        Moments m = momentsFor(model);
        return "AdamW lr " + lr + ", betas (" + m.beta1() + ", " + m.beta2() + "), eps " + m.eps() + ", weight decay " + weightDecay;
    }
}
