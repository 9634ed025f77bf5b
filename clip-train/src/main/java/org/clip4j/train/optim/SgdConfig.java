package org.clip4j.train.optim;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Parameter;

import java.util.List;

/**
 * {@link Sgd} with its settings.
 *
 * @param lr          base learning rate (finite, &gt;= 0)
 * @param momentum    momentum μ in [0, 1] (0: plain SGD)
 * @param weightDecay coupled weight decay on the decay group (finite, &gt;= 0)
 */
public record SgdConfig(double lr, double momentum, double weightDecay) implements OptimizerConfig {
    public SgdConfig {
        new Checks().finite("SgdConfig.lr", lr, 0, Double.MAX_VALUE).finite("SgdConfig.momentum", momentum, 0, 1)
                .finite("SgdConfig.weightDecay", weightDecay, 0, Double.MAX_VALUE).throwIfAny();
    }

    /** SGD with these settings. */
    public static SgdConfig of(double lr, double momentum, double weightDecay) {
        return new SgdConfig(lr, momentum, weightDecay);
    }

    @Override
    public Optimizer create(List<Parameter> params, ClipConfig model) {
        return new Sgd(params, momentum, weightDecay);
    }

    @Override
    public String describe(ClipConfig model) {
        return "SGD lr " + lr + ", momentum " + momentum + ", weight decay " + weightDecay;
    }
}
