package org.clip4j.train;

import org.clip4j.train.optim.LossScaler;

import java.util.Map;

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
 * @param provenance    config, data description and hash, versions, global batch, optimiser settings, precision
 * @param lossScaler    the fp16 loss scaler's state, or null when the run has none (fp32, bf16)
 */
public record TrainingState(long step, long samplesSeen, long dataPosition, long skipped, long seed, double lastLoss,
                            Map<String, String> provenance, LossScaler.State lossScaler) {
    public TrainingState {
        provenance = Map.copyOf(provenance);
    }

    /** A state without loss scaler. */
    public TrainingState(long step, long samplesSeen, long dataPosition, long skipped, long seed, double lastLoss,
                         Map<String, String> provenance) {
        this(step, samplesSeen, dataPosition, skipped, seed, lastLoss, provenance, null);
    }
}
