package org.clip4j.train;

import java.nio.file.Path;
import java.util.Map;

/** Callbacks of a {@link Trainer} run; every method has an empty default. */
public interface TrainingListener {
    /** Before the first step, with the model being trained (do not close it). */
    default void onStart(org.clip4j.encoders.ClipModel model) {
    }

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
