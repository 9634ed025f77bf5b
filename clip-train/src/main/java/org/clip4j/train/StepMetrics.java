package org.clip4j.train;

/**
 * What one optimiser step reports (also one line of {@code metrics.jsonl}).
 *
 * @param step         1-based number of the step just taken
 * @param totalSteps   steps of the whole run
 * @param loss         contrastive loss of the global batch
 * @param lr           learning rate used
 * @param logitScale   exp(logit_scale) after the step (the inverse temperature, at most 100)
 * @param samplesPerSecond global batch / step wall time
 * @param dataWaitSeconds  time this step waited for its batch
 * @param skippedStep  true if the step was skipped for a non-finite loss or gradient
 */
public record StepMetrics(long step, long totalSteps, double loss, double lr, double logitScale, double samplesPerSecond,
                          double dataWaitSeconds, boolean skippedStep) {
}
