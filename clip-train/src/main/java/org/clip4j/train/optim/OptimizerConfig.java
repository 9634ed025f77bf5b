package org.clip4j.train.optim;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Parameter;

import java.util.List;

/**
 * Which optimiser a run uses, with its settings: {@link AdamWConfig} or {@link SgdConfig}. A value checks its own
 * fields when it is made; the {@code Trainer} creates the {@link Optimizer} from it once it knows the model.
 */
public sealed interface OptimizerConfig permits AdamWConfig, SgdConfig {
    /** OpenCLIP's default: AdamW, lr 5e-4, weight decay 0.2, the CLIP paper's betas and eps for the image tower. */
    OptimizerConfig DEFAULT = AdamWConfig.of(5e-4, 0.2);

    /** The base learning rate, which the {@link LrSchedule} scales step by step. */
    double lr();

    /** Weight decay, applied only to the decay group ({@link Parameter#decay()}). */
    double weightDecay();

    /** The optimiser over the trainable entries of {@code params} of a model of architecture {@code model}. */
    Optimizer create(List<Parameter> params, ClipConfig model);

    /** The settings in one line, as provenance records them (for a ResNet or ViT {@code model}). */
    String describe(ClipConfig model);
}
