package org.clip4j.train;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.encoders.Provenance;
import org.clip4j.train.optim.LossScaler;

/**
 * Everything besides tensors that a run needs to continue exactly where a checkpoint left it, plus its
 * provenance. Written as {@code trainer.json} next to the weights and the optimiser state.
 *
 * @param step          optimiser steps completed
 * @param samplesSeen   training samples consumed (including skipped ones)
 * @param dataPosition  stream position of the next training sample (see {@code BatchLoader})
 * @param skipped       samples skipped so far because their image could not be read
 * @param seed          the run's seed (model init, data order; all randomness derives from it and positions)
 * @param lastLoss      loss of the last step
 * @param config        the model's architecture (a resumed run must keep it)
 * @param provenance    how the model was made (as in its model file), or null for checkpoints written before
 *                      clip4j recorded a typed one
 * @param lossScaler    the fp16 loss scaler's state, or null when the run has none (fp32, bf16)
 */
public record TrainingState(long step, long samplesSeen, long dataPosition, long skipped, long seed, double lastLoss,
                            ClipConfig config, Provenance provenance, LossScaler.State lossScaler) {
    public TrainingState {
        java.util.Objects.requireNonNull(config, "config");
    }
}
