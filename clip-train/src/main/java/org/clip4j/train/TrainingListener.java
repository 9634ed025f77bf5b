package org.clip4j.train;

import java.nio.file.Path;
import java.util.Map;

/** Callbacks of a {@link Trainer} run; every method has an empty default. */
public interface TrainingListener {
    /** After every optimiser step. */
    default void onStep(StepMetrics m) {
    }

    /** After a validation pass: metric name → value (val_loss, image_to_text_R@1, ...). */
    default void onValidation(long step, Map<String, Double> metrics) {
    }

    /** After a checkpoint was written. */
    default void onCheckpoint(long step, Path folder) {
    }
}
