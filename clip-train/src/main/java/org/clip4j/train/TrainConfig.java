package org.clip4j.train;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Precision;
import org.clip4j.train.data.ImageTextSource;
import org.clip4j.train.dist.Collectives;
import org.clip4j.train.optim.Checks;
import org.clip4j.train.optim.LossScaler;
import org.clip4j.train.optim.LrSchedule;
import org.clip4j.train.optim.OptimizerConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * Everything a training run is set up with, checked and immutable: {@link Trainer.Builder#build()} makes one and
 * the {@link Trainer} keeps it, so changing the builder afterwards changes nothing. The constructor checks every
 * component and reports all problems in one {@link IllegalArgumentException}, each naming the component
 * ({@code TrainConfig.batchSize 0: expected an integer >= 1}); the optimiser, schedule, loss scaler and tower lock
 * check their own fields when they are made.
 *
 * <p>A complete run (the {@code model}, {@code data}, {@code optimizer} and {@code schedule} are the ones that
 * matter most; every other component has OpenCLIP's default):
 * <pre>{@code
 * Trainer trainer = Trainer.builder()
 *     .model(ClipConfig.builtin("clip4j-tiny"))                        // or .init(Path) to fine-tune
 *     .data(new SyntheticSource(SyntheticShapes.training(0, 32), 50_000))
 *     .optimizer(AdamWConfig.of(2e-3, 0.2))                            // betas, eps: the CLIP paper's
 *     .schedule(LrSchedule.cosine(100))                                // 100 warmup steps, then cosine
 *     .batchSize(64).steps(1500).seed(0)
 *     .checkpointDir(Path.of("runs/tiny"))
 *     .build();                                                        // checks everything
 * TrainConfig config = trainer.config();                               // what will run
 * try (ClipModel model = trainer.run().model()) {
 *     model.save(Path.of("tiny.safetensors"));                         // with its Provenance
 * }
 * }</pre>
 *
 * @param model                     architecture of a new model; with {@code init}, that of the weights; null: the
 *                                  weights' own (or the resumed checkpoint's)
 * @param init                      weights to start from (fine-tuning), or null
 * @param data                      the training pairs
 * @param valData                   validation pairs, or null
 * @param batchSize                 global batch (the contrastive loss sees all of it), over all ranks
 * @param accumFreq                 micro-batches per global batch (feature caching); divides {@code batchSize}
 * @param steps                     optimiser steps; empty: {@code epochs} passes over the data
 * @param epochs                    passes over the data when {@code steps} is empty
 * @param optimizer                 the optimiser and its base learning rate
 * @param schedule                  the learning-rate schedule
 * @param gradClip                  global-norm gradient clipping (0: off)
 * @param shuffle                   batches in a per-epoch permutation (false: source order)
 * @param datasetResampled          samples drawn with replacement (wins over {@code shuffle})
 * @param augment                   RandomResizedCrop augmentation (false: the evaluation transform)
 * @param augmentScaleLow           RandomResizedCrop's smallest area fraction
 * @param augmentScaleHigh          RandomResizedCrop's largest area fraction
 * @param activationRecompute       per-block activation recompute in the Transformer towers
 * @param precision                 the type of the matrix products
 * @param lossScaler                the fp16 loss scaler's options (used with {@link Precision#FP16} only)
 * @param seed                      seed of model initialisation, data order and augmentation
 * @param collectives               data-parallel ranks, or null for one process
 * @param checkpointDir             checkpoints and {@code metrics.jsonl}, or null for neither
 * @param checkpointEvery           steps between checkpoints
 * @param keepLast                  checkpoints kept
 * @param resume                    {@code "latest"} or a checkpoint folder, or null for a new run
 * @param overwrite                 a new run may delete another run's checkpoints in {@code checkpointDir}
 * @param maxConsecutiveBadSamples  unusable samples in a row before the run stops
 * @param valEvery                  steps between validations (0: none)
 * @param valSamples                validation pairs used
 * @param lock                      the locked towers
 * @param dataThreads               decoding and preprocessing threads
 * @param prefetchBatches           micro-batches prepared ahead
 * @param maxBadSteps               consecutive non-finite steps before the run stops
 * @param pixelBudget               bytes of pixels kept between the two feature-caching passes
 * @param listeners                 called on start, each step, validation and checkpoint
 */
public record TrainConfig(ClipConfig model, Path init, ImageTextSource data, ImageTextSource valData, int batchSize,
                          int accumFreq, OptionalLong steps, long epochs, OptimizerConfig optimizer, LrSchedule schedule,
                          double gradClip, boolean shuffle, boolean datasetResampled, boolean augment, double augmentScaleLow,
                          double augmentScaleHigh, boolean activationRecompute, Precision precision,
                          LossScaler.Config lossScaler, long seed, Collectives collectives, Path checkpointDir,
                          int checkpointEvery, int keepLast, String resume, boolean overwrite, long maxConsecutiveBadSamples,
                          int valEvery, int valSamples, TowerLock lock, int dataThreads, int prefetchBatches, int maxBadSteps,
                          long pixelBudget, List<TrainingListener> listeners) {
    /** Checks every component; all problems in one {@link IllegalArgumentException}. */
    public TrainConfig {
        boolean nullListener = listeners != null && listeners.stream().anyMatch(java.util.Objects::isNull);
        listeners = listeners == null || nullListener ? listeners : List.copyOf(listeners);
        Checks c = new Checks();
        c.require(!nullListener, "TrainConfig.listeners: expected listeners, got a null one");
        c.require(data != null, "TrainConfig.data: missing (the training pairs)");
        c.require(model != null || init != null || resume != null,
                "TrainConfig.model: missing; give a model, an init (weights) or a resume (checkpoint)");
        c.require(steps != null, "TrainConfig.steps: expected a count or empty, got null");
        c.require(optimizer != null, "TrainConfig.optimizer: missing (e.g. AdamWConfig.of(5e-4, 0.2))");
        c.require(schedule != null, "TrainConfig.schedule: missing (e.g. LrSchedule.cosine(0))");
        c.require(precision != null, "TrainConfig.precision: expected FP32, BF16 or FP16, got null");
        c.require(lossScaler != null, "TrainConfig.lossScaler: missing");
        c.require(lock != null, "TrainConfig.lock: missing (TowerLock.NONE for none)");
        c.require(listeners != null, "TrainConfig.listeners: expected a list, got null");
        c.atLeast("TrainConfig.batchSize", batchSize, 1).atLeast("TrainConfig.accumFreq", accumFreq, 1);
        if (batchSize >= 1 && accumFreq >= 1) {
            c.require(batchSize % accumFreq == 0, "TrainConfig.batchSize " + batchSize
                    + " must be a multiple of TrainConfig.accumFreq " + accumFreq);
        }
        if (steps != null && steps.isPresent()) c.atLeast("TrainConfig.steps", steps.getAsLong(), 1);
        c.atLeast("TrainConfig.epochs", epochs, 1);
        c.finite("TrainConfig.gradClip", gradClip, 0, Double.MAX_VALUE);
        c.require(augmentScaleLow > 0 && augmentScaleLow <= augmentScaleHigh && augmentScaleHigh <= 1, // NaN fails too
                "TrainConfig.augmentScale " + augmentScaleLow + "-" + augmentScaleHigh + ": expected 0 < low <= high <= 1");
        c.atLeast("TrainConfig.checkpointEvery", checkpointEvery, 1).atLeast("TrainConfig.keepLast", keepLast, 1);
        c.atLeast("TrainConfig.valEvery", valEvery, 0).atLeast("TrainConfig.valSamples", valSamples, 1);
        c.atLeast("TrainConfig.dataThreads", dataThreads, 1).atLeast("TrainConfig.prefetchBatches", prefetchBatches, 1);
        c.atLeast("TrainConfig.maxBadSteps", maxBadSteps, 1);
        c.atLeast("TrainConfig.maxConsecutiveBadSamples", maxConsecutiveBadSamples, 1);
        c.atLeast("TrainConfig.pixelBudget", pixelBudget, 0);
        c.require(resume == null || checkpointDir != null, "TrainConfig.resume needs TrainConfig.checkpointDir");
        c.require(!(overwrite && resume != null), "TrainConfig.overwrite and TrainConfig.resume exclude each other");
        c.throwIfAny();
    }

    /** Optimiser steps of the run: {@code steps}, or enough for {@code epochs} passes over {@code dataSize} samples. */
    public long totalSteps(long dataSize) {
        return steps.isPresent() ? steps.getAsLong() : Math.max(1, (epochs * dataSize + batchSize - 1) / batchSize);
    }
}
