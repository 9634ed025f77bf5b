package org.clip4j.train;

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
 * @param provenance    config, data description and hash, versions, global batch, optimiser settings
 */
public record TrainingState(long step, long samplesSeen, long dataPosition, long skipped, long seed, double lastLoss,
                            Map<String, String> provenance) {
    public TrainingState {
        provenance = Map.copyOf(provenance);
    }
}
