package org.clip4j.cli;

import org.clip4j.cli.ui.Dashboard;
import org.clip4j.core.ClipException;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Precision;
import org.clip4j.encoders.ClipModel;
import org.clip4j.train.CheckpointStore;
import org.clip4j.train.Trainer;
import org.clip4j.train.data.CsvManifest;
import org.clip4j.train.data.ImageTextSource;
import org.clip4j.train.data.SyntheticShapes;
import org.clip4j.train.data.SyntheticSource;
import org.clip4j.train.data.wds.ShardPattern;
import org.clip4j.train.data.wds.WebDatasetSource;
import org.clip4j.train.dist.Collectives;
import org.clip4j.train.dist.MpiCollectives;
import org.clip4j.train.dist.WorldInfo;
import org.clip4j.train.optim.AdamWConfig;
import org.clip4j.train.optim.LrSchedule;
import org.clip4j.train.optim.OptimizerConfig;
import org.clip4j.train.optim.SgdConfig;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code clip train}: contrastive training from scratch or from weights, with checkpoints that resume exactly. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains a CLIP model on image-text pairs (symmetric contrastive loss, AdamW or SGD,",
                "warmup + cosine, temperature clamped at 100). Checkpoints (weights readable by",
                "'clip embed --model', optimiser state, data position) go to --checkpoint-dir with metrics.jsonl."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "NAME|CONFIG.json", description = "Architecture: a built-in name (clip models) or a config file; with --init, that of the weights.")
    String model;

    @Option(names = "--init", paramLabel = "PATH", description = "Start from these weights (fine-tuning; safetensors or PyTorch .pt/.bin); the config comes with them unless --model gives it.")
    Path init;

    @Option(names = "--data", paramLabel = "SPEC", required = true,
            description = {"Training pairs: a CSV/TSV manifest, WebDataset shards ('data/{000000..000099}.tar',",
                    "several patterns joined with '::'), or 'synthetic' / 'synthetic:N' (embedded rendered shapes,",
                    "N samples per epoch, default 50000; held-out colour-shape combinations excluded)."})
    String data;

    @Option(names = "--val-data", paramLabel = "SPEC", description = "Validation pairs (same forms; 'synthetic' = fresh renderings).")
    String valData;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "64",
            description = "Global batch, over all ranks under mpirun/srun (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--accum-freq", paramLabel = "K", defaultValue = "1",
            description = "Micro-batches per global batch, exact by feature caching (default ${DEFAULT-VALUE}).")
    int accumFreq;

    @Option(names = "--optimizer", paramLabel = "adamw|sgd", defaultValue = "adamw", description = "Default ${DEFAULT-VALUE}.")
    String optimizer;

    @Option(names = "--lr", paramLabel = "X", defaultValue = "5e-4", description = "Base learning rate (default ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--wd", paramLabel = "X", defaultValue = "0.2", description = "Weight decay (default ${DEFAULT-VALUE}; none on gains, biases, logit_scale).")
    double wd;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "0", description = "Linear warmup steps (default ${DEFAULT-VALUE}).")
    long warmup;

    @Option(names = "--lr-scheduler", paramLabel = "cosine|const", defaultValue = "cosine", description = "Default ${DEFAULT-VALUE}.")
    String scheduler;

    @ArgGroup(exclusive = true)
    Length length;

    static final class Length {
        @Option(names = "--steps", paramLabel = "N", description = "Optimiser steps.")
        Long steps;
        @Option(names = "--epochs", paramLabel = "N", description = "Passes over the training data (default 1).")
        Long epochs;
    }

    @Option(names = "--grad-clip", paramLabel = "X", defaultValue = "0", description = "Global-norm gradient clipping (0: off).")
    double gradClip;

    @Option(names = "--no-augment", description = {"Training transform = evaluation transform (default: RandomResizedCrop",
            "of 90-100 %% of the area, bicubic, as OpenCLIP)."})
    boolean noAugment;

    @Option(names = "--grad-checkpointing", description = {"Recompute each Transformer block's activations during backward:",
            "same gradients, less memory, about one extra forward pass."})
    boolean gradCheckpointing;

    @Option(names = "--precision", paramLabel = "fp32|bf16|fp16", defaultValue = "fp32", description = {
            "Mixed precision: matrix products in bf16 or fp16, float32 master weights,",
            "optimiser state, LayerNorm, softmax and loss; fp16 adds dynamic loss scaling.",
            "OpenCLIP's amp_bf16 and amp are accepted for bf16 and fp16. Default ${DEFAULT-VALUE}:",
            "on CPUs ND4J's half types are slower (docs/training.md)."})
    String precision;

    @Option(names = "--no-shuffle", description = "Batches follow manifest order.")
    boolean noShuffle;

    @Option(names = "--dataset-resampled", description = {"Draw samples with replacement (OpenCLIP's option) instead of",
            "a permutation per epoch; deterministic for the seed, so resume stays exact."})
    boolean datasetResampled;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Seed of model init and data order (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR", description = "Where checkpoints and metrics.jsonl go.")
    Path checkpointDir;

    @Option(names = "--checkpoint-every", paramLabel = "N", defaultValue = "100", description = "Steps between checkpoints (default ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--keep-last", paramLabel = "K", defaultValue = "3", description = "Checkpoints kept (default ${DEFAULT-VALUE}).")
    int keepLast;

    @Option(names = "--resume", paramLabel = "latest|PATH", description = {"Continue a run from its latest intact (or the given)",
            "checkpoint; 'latest' in a folder without checkpoints starts a new run."})
    String resume;

    @Option(names = "--overwrite", description = {"Start a new run in a --checkpoint-dir that holds another run's",
            "checkpoints, deleting them and its metrics.jsonl (refused otherwise)."})
    boolean overwrite;

    @Option(names = "--max-consecutive-bad-samples", paramLabel = "N", defaultValue = "1000", description = {
            "Stop with an error after N unusable samples in a row (or a whole epoch", "without a usable one); default ${DEFAULT-VALUE}."})
    long maxConsecutiveBad;

    @Option(names = "--val-every", paramLabel = "N", defaultValue = "0", description = "Validation every N steps and at the end (0: only at the end if --val-data).")
    int valEvery;

    @Option(names = "--val-samples", paramLabel = "N", defaultValue = "1000", description = "Validation pairs used (default ${DEFAULT-VALUE}).")
    int valSamples;

    @Option(names = "--lock-image", description = "Freeze the image tower (LiT).")
    boolean lockImage;

    @Option(names = "--lock-image-unlocked-groups", paramLabel = "N", defaultValue = "0",
            description = "With --lock-image: leave the last N layer groups of the image tower trainable.")
    int unlockedGroups;

    @Option(names = "--lock-image-freeze-bn-stats", description = "With --lock-image: locked BatchNorm layers keep their running statistics.")
    boolean freezeBnStats;

    @Option(names = "--lock-text", description = "Freeze the text tower.")
    boolean lockText;

    @Option(names = "--lock-text-unlocked-layers", paramLabel = "N", defaultValue = "0",
            description = "With --lock-text: leave the last N layer groups of the text tower trainable.")
    int unlockedLayers;

    @Mixin
    ManifestOptions manifestOptions = new ManifestOptions();

    @Mixin
    CaptionKeyOption captionKey = new CaptionKeyOption();

    @Option(names = "--data-threads", paramLabel = "N", description = "Decoding/preprocessing threads (default: all cores).")
    Integer dataThreads;

    @Option(names = "--ui", description = {"Serve a live dashboard of the run (needs --checkpoint-dir; prints its address;",
            "stops when training ends: 'clip ui DIR' shows the run afterwards)."})
    boolean ui;

    @Mixin
    UiOptions uiOptions = new UiOptions();

    /** Keeps the latest validation metrics, printed at the end. */
    private final LastValidation lastValidation = new LastValidation();

    /** The last validation's metrics, and the steps skipped for a non-finite loss or gradient, for the summary. */
    private static final class LastValidation implements org.clip4j.train.TrainingListener {
        java.util.Map<String, Double> metrics;
        long step;
        long nonFiniteSteps;

        @Override
        public void onValidation(long step, java.util.Map<String, Double> v) {
            this.step = step;
            this.metrics = v;
        }

        @Override
        public void onStep(org.clip4j.train.StepMetrics m) {
            if (m.skippedStep()) nonFiniteSteps++;
        }
    }

    @Override
    public Integer call() {
        if (ui && checkpointDir == null) {
            throw new IllegalArgumentException("--ui needs --checkpoint-dir: the dashboard follows DIR/metrics.jsonl");
        }
        // Under mpirun / srun (more than one rank in the environment) every rank runs this command; see
        // docs/distributed.md. A rank that fails ends the whole job (MPI_Abort) instead of leaving the others waiting.
        WorldInfo world = WorldInfo.fromEnvironment();
        Collectives ranks = world.distributed() ? MpiCollectives.init() : null;
        try {
            int rc = train(ranks);
            if (ranks != null) ranks.close();
            return rc;
        } catch (RuntimeException | Error e) {
            if (ranks != null) {
                System.err.println("clip: error on rank " + ranks.rank() + " of " + ranks.size() + ": " + e.getMessage()
                        + "; aborting every rank");
                System.err.flush();
                ranks.abort(1);
            }
            throw e;
        }
    }

    private Integer train(Collectives ranks) {
        boolean leader = ranks == null || ranks.rank() == 0; // rank 0 prints, draws and writes
        Precision prec;
        try {
            prec = Precision.parse(precision);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--" + e.getMessage());
        }
        if (resume == null && init == null && model == null) {
            throw new IllegalArgumentException("--model NAME|CONFIG.json or --init PATH is required");
        }
        if (resume != null && checkpointDir == null) throw new IllegalArgumentException("--resume needs --checkpoint-dir");
        if (checkpointDir != null) {
            OutputGuard.notAnInput("--checkpoint-dir", checkpointDir, java.util.Map.of("--data", existing(Path.of(data)),
                    "--init", existing(init), "--val-data", existing(valData == null ? null : Path.of(valData))));
        }
        // --model with --resume: checked against the checkpoint's architecture (the Trainer refuses a mismatch).
        // With --init, --model gives the architecture of the weights (they may carry none).
        ClipConfig cfg = model == null ? null : ModelConfigOption.resolve(model);
        // The image size decides how synthetic data is rendered: from the run being resumed, else the config or the
        // weights. Any readable checkpoint of the run will do (they share the architecture): the Trainer itself picks
        // the one to resume from and verifies its checksums, once.
        Integer imageSize = resume == null ? null : resumedImageSize(resume.equals("latest")
                ? new CheckpointStore(checkpointDir, Math.max(1, keepLast)).list() : List.of(Path.of(resume)));
        if (imageSize == null && cfg != null) imageSize = cfg.vision().imageSize();
        if (imageSize == null && init != null) {
            try (ClipModel m = ClipModel.load(init)) {
                imageSize = m.config().vision().imageSize();
            }
        }
        if (imageSize == null) { // nothing to resume and nothing to start from
            throw new ClipException(checkpointDir + ": no checkpoint to resume from (--resume " + resume + "), and no"
                    + " --model or --init to start a new run with");
        }
        Trainer.Builder b = Trainer.builder().precision(prec)
                .data(source(data, imageSize, seed, false))
                .batchSize(batchSize).accumFreq(accumFreq).optimizer(TrainOptionNames.cli(() -> optimizer()))
                .schedule(TrainOptionNames.cli(() -> schedule())).gradClip(gradClip).shuffle(!noShuffle).datasetResampled(datasetResampled).augment(!noAugment).activationRecompute(gradCheckpointing).seed(seed)
                .checkpointEvery(checkpointEvery).keepLast(keepLast).lockImage(lockImage).lockImageUnlockedGroups(unlockedGroups)
                .lockImageFreezeBnStats(freezeBnStats).lockText(lockText).lockTextUnlockedLayers(unlockedLayers)
                .listener(lastValidation).collectives(ranks);
        if (leader) b.listener(new ProgressBar(System.err));
        if (cfg != null) b.model(cfg);
        if (init != null) b.init(init);
        if (length != null && length.steps != null) b.steps(length.steps);
        if (length != null && length.epochs != null) b.epochs(length.epochs);
        if (checkpointDir != null) b.checkpointDir(checkpointDir);
        if (resume != null) b.resume(resume);
        b.overwrite(overwrite).maxConsecutiveBadSamples(maxConsecutiveBad);
        if (valData != null) b.valData(source(valData, imageSize, seed, true)).validateEvery(valEvery > 0 ? valEvery : Integer.MAX_VALUE, valSamples);
        if (dataThreads != null) b.dataThreads(dataThreads);
        // The dashboard only reads the files the trainer writes, on its own threads; rank 0 alone starts it.
        try (Dashboard dashboard = ui && leader ? uiOptions.start(java.util.List.of(checkpointDir), System.out, System.err) : null) {
            Trainer.TrainResult r = TrainOptionNames.cli(() -> b.build().run());
            if (!leader) {
                r.model().close();
                return 0;
            }
            report(r);
            if (dashboard != null) System.out.println("dashboard stopped; to see the run again: clip ui " + checkpointDir);
        }
        return 0;
    }

    /** The image size recorded by the newest of these checkpoints whose trainer.json reads, or null if none does. */
    private static Integer resumedImageSize(List<Path> checkpoints) {
        for (int i = checkpoints.size() - 1; i >= 0; i--) {
            Path c = checkpoints.get(i);
            if (!Files.isRegularFile(c.resolve("trainer.json"))) continue;
            try {
                return CheckpointStore.readState(c).config().vision().imageSize();
            } catch (RuntimeException unreadable) { // damaged: the Trainer reports it when it falls back past it
            }
        }
        return null;
    }

    /** {@code --optimizer} with {@code --lr} and {@code --wd} (SGD: momentum 0.9). */
    private OptimizerConfig optimizer() {
        return switch (optimizer.toLowerCase(Locale.ROOT)) {
            case "adamw" -> AdamWConfig.of(lr, wd); // the CLIP paper's betas and eps for the image tower
            case "sgd" -> SgdConfig.of(lr, 0.9, wd);
            default -> throw new IllegalArgumentException("--optimizer " + optimizer + ": expected adamw or sgd");
        };
    }

    /** {@code --lr-scheduler} with {@code --warmup}. */
    private LrSchedule schedule() {
        return switch (scheduler.toLowerCase(Locale.ROOT)) {
            case "cosine" -> LrSchedule.cosine(warmup);
            case "const" -> LrSchedule.constant(warmup);
            default -> throw new IllegalArgumentException("--lr-scheduler " + scheduler + ": expected cosine or const");
        };
    }

    private void report(Trainer.TrainResult r) {
        if (checkpointDir != null && Files.isRegularFile(checkpointDir.resolve("metrics.jsonl"))) {
            Path png = checkpointDir.resolve("loss.png");
            try {
                LossCurve.write(checkpointDir.resolve("metrics.jsonl"), png, "clip train: " + data);
                System.out.println("loss curve: " + png);
            } catch (java.io.IOException e) {
                System.err.println("clip: warning: cannot write " + png + ": " + e.getMessage());
            }
        }
        try (ClipModel m = r.model()) {
            if (data.toLowerCase(Locale.ROOT).startsWith("synthetic")) {
                SyntheticEvaluation.Result z = SyntheticEvaluation.run(m, r.state().seed(), 480, 160);
                System.out.println(SyntheticEvaluation.describe(z));
                if (checkpointDir != null) {
                    appendZeroShot(checkpointDir.resolve("metrics.jsonl"), r.state().step(), z);
                    Path png = checkpointDir.resolve("confusion.png");
                    try {
                        SyntheticEvaluation.writeConfusionPng(z.confusion(), SyntheticShapes.allLabels(), png);
                        System.out.println("confusion matrix: " + png);
                    } catch (java.io.IOException e) {
                        System.err.println("clip: warning: cannot write " + png + ": " + e.getMessage());
                    }
                }
            }
            if (lastValidation.metrics != null) {
                var v = lastValidation.metrics;
                System.out.printf(Locale.ROOT, "retrieval on the validation pairs (step %d): image->text R@1 %.1f %%, R@5 %.1f %%, "
                                + "R@10 %.1f %%; text->image R@1 %.1f %%, R@5 %.1f %%, R@10 %.1f %%; validation loss %.4f%n",
                        lastValidation.step, 100 * v.get("image_to_text_R@1"), 100 * v.get("image_to_text_R@5"),
                        100 * v.get("image_to_text_R@10"), 100 * v.get("text_to_image_R@1"), 100 * v.get("text_to_image_R@5"),
                        100 * v.get("text_to_image_R@10"), v.get("val_loss"));
            }
            // Steps skipped for a non-finite loss or gradient (fp16 overflows, mostly) made no update: say how many,
            // and the loss scale they left, so that "last loss NaN" is not the only trace of them.
            String nonFinite = lastValidation.nonFiniteSteps == 0 ? "" : String.format(Locale.ROOT,
                    "; %d of them skipped for a non-finite loss or gradient (no update)%s", lastValidation.nonFiniteSteps,
                    r.state().lossScaler() == null ? ""
                            : String.format(Locale.ROOT, ", fp16 loss scale now %s", r.state().lossScaler().scale()));
            System.out.printf(Locale.ROOT, "trained %d steps (%d samples, %d skipped), last loss %.4f%s%s%n", r.state().step(),
                    r.state().samplesSeen(), r.state().skipped(), r.state().lastLoss(), nonFinite,
                    r.lastCheckpoint() == null ? "" : "; checkpoint " + r.lastCheckpoint());
        }
    }

    private static String jsonNumber(double x) {
        return Double.isFinite(x) ? Double.toString(x) : "null";
    }

    /** Adds the final zero-shot accuracies to metrics.jsonl as one more line (the dashboard draws them). */
    private static void appendZeroShot(Path metrics, long step, SyntheticEvaluation.Result z) {
        String line = String.format(Locale.ROOT, "{\"step\":%d,\"zeroshot_top1\":%s,\"zeroshot_heldout_top1\":%s}%n",
                step, jsonNumber(z.seenAccuracy()), jsonNumber(z.heldOutAccuracy()));
        try {
            Files.writeString(metrics, line, java.nio.charset.StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (java.io.IOException e) {
            System.err.println("clip: warning: cannot append to " + metrics + ": " + e.getMessage());
        }
    }

    /** The path as a one-element list when it names an existing file, else empty (synthetic data, shard patterns). */
    private static java.util.List<Path> existing(Path p) {
        return p != null && Files.exists(p) ? java.util.List.of(p) : java.util.List.of();
    }

    private ImageTextSource source(String spec, int imageSize, long seed, boolean validation) {
        String s = spec.toLowerCase(Locale.ROOT);
        if (s.equals("synthetic") || s.startsWith("synthetic:")) {
            long n;
            try {
                n = s.contains(":") ? Long.parseLong(s.substring(s.indexOf(':') + 1)) : validation ? 1000 : 50_000;
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1) throw new IllegalArgumentException((validation ? "--val-data " : "--data ") + spec + ": expected synthetic or synthetic:N with N >= 1");
            // validation: the same combinations, other renderings (another seed)
            return new SyntheticSource(SyntheticShapes.training(validation ? seed + 7919 : seed, imageSize), n);
        }
        if (ShardPattern.looksLikeShards(spec)) return WebDatasetSource.open(spec);
        Path p = Path.of(spec);
        if (!Files.isRegularFile(p)) throw new ClipException(spec + ": no such manifest (or shards DIR/{000000..000009}.tar, or 'synthetic')");
        return CsvManifest.read(p, manifestOptions.imageKey(), captionKey.captionKey(), manifestOptions.separator());
    }
}
