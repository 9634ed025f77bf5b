package org.clip4j.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.clip4j.core.ClipException;
import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.image.TrainTransform;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Precision;
import org.clip4j.core.tokenizer.ClipTokenizer;
import org.clip4j.encoders.ClipModel;
import org.clip4j.train.data.Batch;
import org.clip4j.train.data.BatchLoader;
import org.clip4j.train.data.RankShare;
import org.clip4j.train.data.Sampling;
import org.clip4j.train.data.ImageTextSource;
import org.clip4j.train.dist.Collectives;
import org.clip4j.train.dist.DataParallel;
import org.clip4j.train.optim.AdamW;
import org.clip4j.train.optim.GradientTools;
import org.clip4j.train.optim.LossScaler;
import org.clip4j.train.optim.LrSchedule;
import org.clip4j.train.optim.Optimizer;
import org.clip4j.train.optim.Sgd;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Contrastive training of a {@link ClipModel}: batches from an {@link ImageTextSource}, the symmetric loss over
 * the global batch (computed in micro-batches by feature caching when {@code accumFreq > 1}), AdamW or SGD with
 * warmup + cosine (or constant) learning rate, the temperature clamped to 100, checkpoints that resume exactly.
 *
 * <pre>{@code
 * TrainResult r = Trainer.builder()
 *     .model(ClipConfig.builtin("ViT-B-32"))
 *     .data(CsvManifest.read(Path.of("train.csv")))
 *     .batchSize(256).accumFreq(4).steps(10_000)
 *     .checkpointDir(Path.of("runs/a"))
 *     .build().run();
 * }</pre>
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Summary of a finished run; the caller owns (closes) the model, which is back in evaluation mode and float32
     * precision whatever the training precision.
     */
    public record TrainResult(ClipModel model, TrainingState state, Path lastCheckpoint) {
    }

    private final Builder b;

    private Trainer(Builder b) {
        this.b = b;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Runs to the configured number of steps (resuming first if asked) and returns the trained model. */
    public TrainResult run() {
        if (b.checkpointDir == null) {
            if (b.resume != null) throw new ClipException("--resume needs --checkpoint-dir");
            return train(null);
        }
        // Data-parallel: rank 0 alone locks and writes the folder; the other ranks only read it (--resume).
        if (!leader()) return train(new CheckpointStore(b.checkpointDir, b.keepLast));
        // One writer per folder: a second run would delete the first one's checkpoints in flight.
        try (CheckpointLock folderLock = CheckpointLock.acquire(b.checkpointDir)) {
            LOG.debug("locked {}", folderLock.file());
            return train(new CheckpointStore(b.checkpointDir, b.keepLast));
        }
    }

    /**
     * The checkpoint to resume from, or null to start a new run. A new run refuses a folder that holds another
     * run's checkpoints unless told to overwrite it; {@code --resume latest} in a folder without any checkpoint (a
     * run killed before its first one) starts from scratch when there is a model to start from.
     */
    private Path startingPoint(CheckpointStore store) {
        if (b.resume == null) {
            if (store != null && store.hasCheckpoints()) {
                if (!b.overwrite) {
                    throw new ClipException(store.dir() + " holds the checkpoints of another run (" + store.describeCheckpoints()
                            + "): continue that run with --resume latest, give another --checkpoint-dir, or start over with"
                            + " --overwrite (deletes them)");
                }
                if (leader()) { // rank 0 clears; the others start from scratch too
                    LOG.warn("--overwrite: deleting the checkpoints ({}) and metrics of the previous run in {}",
                            store.describeCheckpoints(), store.dir());
                    store.clear();
                }
            }
            return null;
        }
        if (b.resume.equals("latest") && store.list().isEmpty() && !store.hasCheckpoints()) {
            if (b.config == null && b.init == null) {
                throw new ClipException(store.dir() + ": no checkpoint to resume from (--resume latest), and no --model"
                        + " or --init to start a new run with");
            }
            LOG.warn("--resume latest: {} holds no checkpoint yet (a run stopped before its first one); starting from scratch",
                    store.dir());
            return null;
        }
        return store.resolve(b.resume);
    }

    /** True for a single process and for rank 0 of a data-parallel run (who writes checkpoints and metrics). */
    private boolean leader() {
        return b.collectives == null || b.collectives.rank() == 0;
    }

    /** A one-line description of an architecture, for mismatch messages. */
    private static String describe(ClipConfig c) {
        ClipConfig.Vision v = c.vision();
        return (v.isResNet() ? "ResNet " + v.layers() : "ViT patch " + v.patchSize() + " depth " + v.depth())
                + " width " + v.width() + " image " + v.imageSize() + ", text width " + c.text().width() + " layers "
                + c.text().layers() + " context " + c.text().contextLength() + ", embed " + c.embedDim();
    }

    private TrainResult train(CheckpointStore store) {
        Path resumeFrom = startingPoint(store);
        TrainingState state = resumeFrom == null ? null : CheckpointStore.readState(resumeFrom);
        long seed = state != null ? state.seed() : b.seed;
        if (state != null && b.config != null) {
            ClipConfig saved = ClipConfig.fromJson(state.provenance().get("config"));
            if (!saved.equals(b.config)) {
                throw new ClipException(resumeFrom + " holds another architecture than --model: checkpoint " + describe(saved)
                        + "; --model " + describe(b.config) + ". Resume without --model, or start a new run in another folder");
            }
        }

        ClipModel model = resumeFrom != null ? ClipModel.load(resumeFrom.resolve("model.safetensors"))
                : b.init != null ? (b.config != null ? ClipModel.load(b.init, b.config) : ClipModel.load(b.init))
                : ClipModel.create(b.config, seed);
        ClipConfig cfg = model.config();
        model.setActivationRecompute(b.recompute);
        model.setPrecision(b.precision);
        // fp16 only: bf16 has float32's exponent range, fp32 needs no scaling.
        LossScaler scaler = b.precision.needsLossScaling() ? b.scaler.build() : null;
        if (scaler != null && state != null && state.lossScaler() != null) scaler.load(state.lossScaler());
        String savedPrecision = state == null ? null : state.provenance().get("precision");
        if (savedPrecision != null && !savedPrecision.split(" ")[0].equals(b.precision.cliName())) {
            LOG.warn("resuming a run saved with precision {} in precision {}", savedPrecision.split(" ")[0], b.precision.cliName());
        }
        TowerLock lock = b.lock();
        Set<String> frozen = lock.frozen(model);
        model.train(true);
        int frozenBn = lock.applyBatchNormFreeze(model);
        List<Parameter> params = new ArrayList<>();
        for (Parameter p : model.parameters()) if (!frozen.contains(p.name())) params.add(p);
        // A tower with nothing to train skips its backward pass.
        boolean imageBackward = params.stream().anyMatch(p -> p.name().startsWith("visual."));
        boolean textBackward = params.stream().anyMatch(p -> !p.name().startsWith("visual.") && !p.name().equals("logit_scale"));
        if (!frozen.isEmpty()) {
            LOG.info("locked: {} of {} parameter tensors frozen ({}){}; trained: {}", frozen.size(), model.parameters().size(),
                    lock, frozenBn > 0 ? ", " + frozenBn + " BatchNorm layers on running statistics" : "",
                    params.stream().map(Parameter::name).toList());
        }
        boolean resnet = cfg.vision().isResNet();
        Optimizer opt = switch (b.optimizer) {
            case "adamw" -> resnet ? AdamW.resnetDefaults(params, b.wd) : AdamW.vitDefaults(params, b.wd);
            case "sgd" -> new Sgd(params, b.momentum, b.wd);
            default -> throw new IllegalArgumentException("optimizer '" + b.optimizer + "': expected adamw or sgd");
        };
        if (resumeFrom != null) CheckpointStore.loadOptimizer(resumeFrom, opt);
        DataParallel dp = DataParallel.of(b.collectives); // one process: no communication
        dp.start(model); // every rank takes rank 0's weights

        long total = dp.agreeSteps(b.steps > 0 ? b.steps : Math.max(1, (b.epochs * b.data.size() + b.batchSize - 1) / b.batchSize));
        LrSchedule schedule = b.schedule.equals("const") ? LrSchedule.constant(b.lr, b.warmup) : LrSchedule.cosine(b.lr, b.warmup, total);
        int micro = dp.microBatch(b.batchSize, b.accumFreq); // per rank
        Map<String, String> provenance = provenance(cfg, seed, total, micro);
        ImagePreprocessor pre = ImagePreprocessor.clip(cfg.vision().imageSize());
        ClipTokenizer tok = ClipTokenizer.openai();
        int ctx = cfg.text().contextLength();

        long step = state != null ? state.step() : 0;
        long samplesSeen = state != null ? state.samplesSeen() : 0;
        long position = state != null ? state.dataPosition() : 0;
        long skippedSamples = state != null ? state.skipped() : 0;
        double lastLoss = state != null ? state.lastLoss() : Double.NaN;
        int badInARow = 0;
        Path last = resumeFrom;
        LOG.info("training {} ({} parameters) on {} for {} steps, global batch {} (micro-batch {}), {} lr {} wd {}, seed {}, precision {}{}{}",
                cfg.vision().isResNet() ? "a ResNet CLIP" : "a ViT CLIP", model.parameterCount(), b.data.describe(), total, b.batchSize, micro, b.optimizer, b.lr, b.wd, seed,
                b.precision.cliName(), scaler == null ? "" : " (" + scaler + ")",
                resumeFrom == null ? "" : ", resumed from " + resumeFrom + " at step " + step);
        // The loader delivers micro-batches; accumFreq consecutive ones form a global batch.
        TrainTransform augment = b.augment ? TrainTransform.builder().size(pre.size()).scale(b.scaleLo, b.scaleHi).build() : null;
        // Each rank reads its blocks of the global stream from the global position (all of it with one process).
        RankShare share = dp.share(position, micro);
        try (BatchLoader loader = new BatchLoader(b.data, pre, augment, tok, ctx, micro, Sampling.of(b.shuffle, b.resampled), seed, share, 0,
                b.dataThreads, Math.max(b.prefetch, Math.min(b.accumFreq, 4)), b.maxConsecutiveBadSamples);
             BufferedWriter metrics = dp.leader() ? metricsWriter(step == 0) : new BufferedWriter(java.io.Writer.nullWriter())) {
            for (TrainingListener l : b.listeners) l.onStart(model);
            while (step < total) {
                long t0 = System.nanoTime();
                double wait0 = loader.waitSeconds();
                double loss;
                boolean skippedStep;
                double lr = schedule.lr(step);
                List<Batch> parts = new ArrayList<>();
                for (int k = 0; k < b.accumFreq; k++) parts.add(loader.next());
                Batch lastPart = parts.get(parts.size() - 1);
                try (GlobalBatch global = new GlobalBatch(parts, loader, b.pixelBudget)) {
                    model.zeroGrad();
                    double gradScale = scaler == null ? 1.0 : scaler.scale(); // loss gradient × S (fp16)
                    loss = dp.active() ? dp.forwardBackward(model, global, params, imageBackward, textBackward, gradScale)
                            : parts.size() == 1 ? model.forwardBackward(lastPart.images(), lastPart.ids(), imageBackward, textBackward, gradScale)
                            : FeatureCachingStep.forwardBackward(model, global, imageBackward, textBackward, gradScale);
                    long after = dp.globalPosition(share, lastPart.positionAfter()); // agreed by all ranks
                    samplesSeen += after - position;
                    position = after;
                    long skippedNow = 0;
                    for (Batch part : parts) skippedNow += part.skipped();
                    skippedSamples += dp.sumOverRanks(skippedNow);
                }
                if (scaler == null) {
                    skippedStep = !Double.isFinite(loss) || GradientTools.hasNonFinite(params);
                } else { // GradScaler: unscale before clipping and the step; on overflow skip and back off
                    skippedStep = scaler.unscale(params) || !Double.isFinite(loss);
                    scaler.update(skippedStep);
                }
                if (skippedStep) {
                    badInARow++;
                    LOG.warn("step {}: non-finite loss or gradient (loss {}); step skipped ({} in a row){}", step + 1, loss, badInARow,
                            scaler == null ? "" : ", loss scale now " + scaler.scale());
                    if (badInARow >= b.maxBadSteps) {
                        throw new ClipException(badInARow + " consecutive non-finite steps at step " + (step + 1)
                                + "; stopping. The last good checkpoint is " + (last == null ? "(none)" : last));
                    }
                } else {
                    badInARow = 0;
                    if (b.gradClip > 0) GradientTools.clipGlobalNorm(params, b.gradClip);
                    opt.step(lr);
                    GradientTools.clampLogitScale(model.logitScale());
                    lastLoss = loss;
                }
                dp.afterStep(model); // BatchNorm statistics: rank 0's on every rank
                step++;
                double secs = (System.nanoTime() - t0) / 1e9;
                StepMetrics m = new StepMetrics(step, total, loss, lr, Math.exp(model.logitScale().value().getDouble(0)),
                        b.batchSize / secs, loader.waitSeconds() - wait0, skippedStep);
                writeMetrics(metrics, m, scaler);
                for (TrainingListener l : b.listeners) l.onStep(m);
                if (dp.leader() && b.valData != null && b.valEvery > 0 && (step % b.valEvery == 0 || step == total)) {
                    Map<String, Double> v = validate(model, pre, tok, ctx);
                    lock.applyBatchNormFreeze(model); // validation switched every BatchNorm back to training
                    for (TrainingListener l : b.listeners) l.onValidation(step, v);
                    writeValidation(metrics, step, v);
                }
                // Only after a good step: a run that ends in a streak of bad steps keeps its last good checkpoint. An
                // fp16 overflow with a finite loss is routine (the scaler backed off; weights untouched): it saves.
                boolean goodState = !skippedStep || scaler != null && Double.isFinite(loss);
                if (dp.leader() && store != null && goodState && (step % b.checkpointEvery == 0 || step == total)) {
                    String bad = GradientTools.firstNonFiniteWeight(model.parameters());
                    if (bad != null) {
                        throw new ClipException("step " + step + ": parameter '" + bad + "' holds NaN or infinite weights;"
                                + " no checkpoint written, stopping (the last good checkpoint is " + (last == null ? "(none)" : last)
                                + "). Try a lower --lr or --grad-clip");
                    }
                    TrainingState s = new TrainingState(step, samplesSeen, position, skippedSamples, seed, lastLoss, provenance,
                            scaler == null ? null : scaler.state());
                    last = store.save(model, opt, s);
                    for (TrainingListener l : b.listeners) l.onCheckpoint(step, last);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            opt.close();
        }
        model.train(false);
        model.setPrecision(Precision.FP32); // the weights are float32: evaluate them exactly (and fast on CPUs)
        return new TrainResult(model, new TrainingState(step, samplesSeen, position, skippedSamples, seed, lastLoss, provenance,
                scaler == null ? null : scaler.state()), last);
    }

    /** Validation loss and image↔text recall@1/5/10 on up to {@code valSamples} held-out pairs. */
    private Map<String, Double> validate(ClipModel model, ImagePreprocessor pre, ClipTokenizer tok, int ctx) {
        model.train(false);
        int n = (int) Math.min(b.valSamples, b.valData.size());
        List<INDArray> imgs = new ArrayList<>(), txts = new ArrayList<>();
        int chunk = Math.max(1, b.batchSize / b.accumFreq);
        for (int a = 0; a < n; a += chunk) {
            int m = Math.min(chunk, n - a);
            float[] px = new float[m * 3 * pre.size() * pre.size()];
            List<String> caps = new ArrayList<>();
            for (int i = 0; i < m; i++) {
                float[] one = pre.apply(b.valData.image(a + i));
                System.arraycopy(one, 0, px, i * one.length, one.length);
                caps.add(b.valData.caption(a + i));
            }
            INDArray x = Nd4j.create(px, new long[]{m, 3, pre.size(), pre.size()});
            INDArray ids = tok.tokenizeToArray(caps, ctx, true);
            imgs.add(model.encodeImageNormalized(x));
            txts.add(model.encodeTextNormalized(ids));
            x.close();
            ids.close();
        }
        INDArray img = Nd4j.concat(0, imgs.toArray(INDArray[]::new)), txt = Nd4j.concat(0, txts.toArray(INDArray[]::new));
        imgs.forEach(INDArray::close);
        txts.forEach(INDArray::close);
        Map<String, Double> out = new LinkedHashMap<>();
        int[] pairs = new int[n];
        for (int i = 0; i < n; i++) pairs[i] = i;
        // Ranks as OpenCLIP's validation ranks them (ties in torch.argsort's order), so the numbers compare.
        out.putAll(org.clip4j.eval.RetrievalMetrics.compute(img, txt, pairs, org.clip4j.eval.Ties.OPEN_CLIP, 1, 5, 10));
        Parameter scale = Parameter.trainable("logit_scale");
        scale.set(model.logitScale().value().dup());
        try (ContrastiveLoss.Result r = ContrastiveLoss.forwardBackward(img, txt, scale)) {
            out.put("val_loss", r.loss());
        }
        scale.release();
        for (INDArray a : new INDArray[]{img, txt}) a.close();
        model.train(true);
        LOG.info("validation on {} pairs: {}", n, out);
        return out;
    }

    private Map<String, String> provenance(ClipConfig cfg, long seed, long total, int micro) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("config", cfg.toJson());
        p.put("data", b.data.describe());
        p.put("seed", Long.toString(seed));
        p.put("global_batch", Integer.toString(b.batchSize));
        p.put("micro_batch", Integer.toString(micro));
        p.put("steps", Long.toString(total));
        p.put("optimizer", b.optimizer + " lr=" + b.lr + " wd=" + b.wd + " warmup=" + b.warmup + " schedule=" + b.schedule
                + (b.gradClip > 0 ? " grad_clip=" + b.gradClip : ""));
        if (!b.lock().equals(TowerLock.NONE)) p.put("lock", b.lock().toString());
        p.put("augment", b.augment ? "RandomResizedCrop scale " + b.scaleLo + "-" + b.scaleHi : "none (evaluation transform)");
        p.put("precision", b.precision.cliName() + (b.precision.isHalf()
                ? " (mixed: " + b.precision.cliName() + " matrix products; float32 master weights, optimiser state, LayerNorm, softmax, loss"
                + (b.precision.needsLossScaling() ? "; dynamic loss scaling" : "") + ")" : ""));
        p.put("init", b.init == null ? "random (reference initialisation)" : b.init.toString());
        String v = Trainer.class.getPackage().getImplementationVersion();
        p.put("clip4j", v == null ? "development" : v);
        p.put("nd4j", "1.0.0-M2.1");
        p.put("java", System.getProperty("java.version"));
        return p;
    }

    private BufferedWriter metricsWriter(boolean fresh) throws IOException {
        if (b.checkpointDir == null) return new BufferedWriter(java.io.Writer.nullWriter());
        Files.createDirectories(b.checkpointDir);
        Path f = b.checkpointDir.resolve("metrics.jsonl");
        return Files.newBufferedWriter(f, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                fresh ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    private static void writeMetrics(BufferedWriter w, StepMetrics m, LossScaler scaler) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("step", m.step());
        n.put("loss", m.loss());
        n.put("lr", m.lr());
        n.put("logit_scale", m.logitScale());
        n.put("samples_per_s", m.samplesPerSecond());
        n.put("data_wait_s", m.dataWaitSeconds());
        if (m.skippedStep()) n.put("skipped_step", true);
        if (scaler != null) n.put("loss_scale", scaler.scale()); // after this step's update
        n.put("total_steps", m.totalSteps());
        n.put("time", System.currentTimeMillis() / 1000.0); // wall clock, s since the epoch (ETA on the dashboard)
        n.put("heap_mib", MemoryUse.heapMiB());
        double rss = MemoryUse.residentMiB();
        if (Double.isFinite(rss)) n.put("rss_mib", rss);
        w.write(n.toString());
        w.newLine();
        w.flush();
    }

    private static void writeValidation(BufferedWriter w, long step, Map<String, Double> v) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("step", step);
        v.forEach(n::put);
        w.write(n.toString());
        w.newLine();
        w.flush();
    }

    /** Options of a run; defaults follow OpenCLIP (lr 5e-4, wd 0.2, cosine, AdamW). */
    public static final class Builder {
        private ClipConfig config;
        private Path init;
        private ImageTextSource data, valData;
        private int batchSize = 64, accumFreq = 1, keepLast = 3, checkpointEvery = 100, valEvery = 0, valSamples = 1000;
        private long steps, epochs = 1, warmup = 0, seed = 0;
        private String optimizer = "adamw", schedule = "cosine", resume;
        private double lr = 5e-4, wd = 0.2, momentum = 0.9, gradClip = 0;
        private boolean shuffle = true, lockImage, lockText, freezeBnStats, augment = true, recompute;
        private boolean resampled, overwrite, stepsSet;
        private long maxConsecutiveBadSamples = BatchLoader.DEFAULT_MAX_CONSECUTIVE_BAD;
        private double scaleLo = 0.9, scaleHi = 1.0;
        private Collectives collectives;
        private int unlockedGroups, unlockedLayers;
        private Path checkpointDir;
        private int dataThreads = Math.max(1, Runtime.getRuntime().availableProcessors()), prefetch = 2, maxBadSteps = 10;
        private long pixelBudget = 1L << 30;
        private Precision precision = Precision.FP32;
        private LossScaler.Builder scaler = LossScaler.builder();
        private final List<TrainingListener> listeners = new ArrayList<>();

        /** Train a new model of this architecture from the reference initialisation (with init: their architecture). */
        public Builder model(ClipConfig c) { this.config = c; return this; }
        /** Start from these weights (fine-tuning); the config comes with them, or from model(config) if given. */
        public Builder init(Path weights) { this.init = weights; return this; }
        public Builder data(ImageTextSource d) { this.data = d; return this; }
        public Builder valData(ImageTextSource d) { this.valData = d; return this; }
        /** Global batch size (the contrastive loss sees all of it). */
        public Builder batchSize(int n) { this.batchSize = n; return this; }
        /** Micro-batches per global batch (feature caching); the global batch must divide evenly. */
        public Builder accumFreq(int k) { this.accumFreq = k; return this; }
        /** Optimiser steps (at least 1); without it the run lasts {@link #epochs} passes over the data. */
        public Builder steps(long n) { this.steps = n; this.stepsSet = true; return this; }
        public Builder epochs(long n) { this.epochs = n; return this; }
        public Builder optimizer(String name) { this.optimizer = name; return this; }
        public Builder lr(double v) { this.lr = v; return this; }
        public Builder weightDecay(double v) { this.wd = v; return this; }
        /** SGD momentum (default 0.9). */
        public Builder momentum(double v) { this.momentum = v; return this; }
        public Builder warmup(long steps) { this.warmup = steps; return this; }
        /** "cosine" (default) or "const". */
        public Builder schedule(String s) { this.schedule = s; return this; }
        /** Global-norm gradient clipping; 0 (default) disables it. */
        public Builder gradClip(double maxNorm) { this.gradClip = maxNorm; return this; }
        public Builder shuffle(boolean s) { this.shuffle = s; return this; }
        /** Samples drawn with replacement (OpenCLIP's {@code --dataset-resampled}, {@link Sampling#RESAMPLED}); wins over shuffle. */
        public Builder datasetResampled(boolean r) { this.resampled = r; return this; }
        /**
         * Training augmentation (default on, as OpenCLIP): RandomResizedCrop of 90–100 % of the area, see
         * {@link TrainTransform}; off = the evaluation transform.
         */
        public Builder augment(boolean a) { this.augment = a; return this; }
        /**
         * Activation recompute per Transformer block (OpenCLIP's {@code --grad-checkpointing}): same gradients,
         * about one extra forward pass per step, much less activation memory. Default off.
         */
        public Builder activationRecompute(boolean on) { this.recompute = on; return this; }
        /**
         * Mixed precision (OpenCLIP's {@code --precision amp_bf16} / {@code amp}): the models' matrix products in
         * bf16 or fp16, with float32 master weights, optimiser state, LayerNorm, softmax and loss; fp16 adds
         * dynamic loss scaling ({@link #lossScaler}). Default {@link Precision#FP32}: on CPUs the half types are
         * not faster in ND4J (see docs/training.md).
         */
        public Builder precision(Precision p) {
            if (p == null) throw new IllegalArgumentException("precision: expected FP32, BF16 or FP16, got null");
            this.precision = p;
            return this;
        }
        /** The fp16 loss scaler's options (default PyTorch's GradScaler: 2¹⁶, ×2 after 2,000 clean steps, ×0.5). */
        public Builder lossScaler(LossScaler.Builder s) {
            if (s == null) throw new IllegalArgumentException("lossScaler: expected a LossScaler.Builder, got null");
            this.scaler = s;
            return this;
        }
        /** RandomResizedCrop's area range (default 0.9–1.0, OpenCLIP's {@code aug_cfg.scale}). */
        public Builder augmentScale(double lo, double hi) { this.scaleLo = lo; this.scaleHi = hi; return this; }
        public Builder seed(long s) { this.seed = s; return this; }
        /**
         * Data-parallel training over these ranks (see {@link DataParallel}; null or one rank: a single process). The
         * batch size stays the global batch; only rank 0 writes checkpoints and metrics and runs validation. Every
         * rank calls {@link #run()} with the same options; when it throws on one rank, call
         * {@link Collectives#abort(int)} there, or the other ranks wait for it forever.
         */
        public Builder collectives(Collectives c) { this.collectives = c; return this; }
        public Builder checkpointDir(Path d) { this.checkpointDir = d; return this; }
        public Builder checkpointEvery(int steps) { this.checkpointEvery = steps; return this; }
        public Builder keepLast(int k) { this.keepLast = k; return this; }
        /**
         * "latest" or a checkpoint folder. "latest" takes the newest checkpoint whose files match their recorded
         * checksums (a damaged newer one is reported and skipped), and starts from scratch, with a warning, in a
         * folder that has no checkpoint yet.
         */
        public Builder resume(String spec) { this.resume = spec; return this; }
        /**
         * A new run (no {@link #resume}) in a checkpoint folder holding another run's checkpoints deletes them
         * (and its metrics.jsonl) first; without this such a run is refused.
         */
        public Builder overwrite(boolean o) { this.overwrite = o; return this; }
        /**
         * Unusable samples (unreadable images, missing captions) in a row before the run stops with an error
         * (default {@value BatchLoader#DEFAULT_MAX_CONSECUTIVE_BAD}); a whole epoch without a usable sample stops it too.
         */
        public Builder maxConsecutiveBadSamples(long n) { this.maxConsecutiveBadSamples = n; return this; }
        /** Validation every N steps (and at the end) on up to {@code samples} pairs of {@link #valData}. */
        public Builder validateEvery(int n, int samples) { this.valEvery = n; this.valSamples = samples; return this; }
        /** LiT-style locking: no updates to the image tower (see {@link TowerLock}). */
        public Builder lockImage(boolean l) { this.lockImage = l; return this; }
        /** With {@link #lockImage}: the last {@code n} groups of the image tower stay trainable (default 0). */
        public Builder lockImageUnlockedGroups(int n) { this.unlockedGroups = n; return this; }
        /** With {@link #lockImage}: BatchNorm layers of the locked groups keep their running statistics. */
        public Builder lockImageFreezeBnStats(boolean f) { this.freezeBnStats = f; return this; }
        /** No updates to the text tower. */
        public Builder lockText(boolean l) { this.lockText = l; return this; }
        /** With {@link #lockText}: the last {@code n} groups of the text tower stay trainable (default 0). */
        public Builder lockTextUnlockedLayers(int n) { this.unlockedLayers = n; return this; }

        private static void atLeast(String option, long v, long min) {
            if (v < min) throw new IllegalArgumentException(option + " " + v + ": expected an integer >= " + min);
        }

        /** A finite value in [lo, hi]. */
        private static void finite(String option, double v, double lo, double hi) {
            if (!Double.isFinite(v) || v < lo || v > hi) {
                throw new IllegalArgumentException(option + " " + plain(v) + ": expected a finite number"
                        + (hi == Double.MAX_VALUE ? " >= " + plain(lo) : " in [" + plain(lo) + ", " + plain(hi) + "]"));
            }
        }

        /** -1 rather than -1.0, as the option was most likely typed. */
        private static String plain(double v) {
            return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
        }

        TowerLock lock() {
            return new TowerLock(lockImage, unlockedGroups, freezeBnStats, lockText, unlockedLayers);
        }
        public Builder dataThreads(int n) { this.dataThreads = n; return this; }
        public Builder prefetchBatches(int n) { this.prefetch = n; return this; }
        /** Consecutive non-finite steps before the run stops (default 10). */
        public Builder maxBadSteps(int n) { this.maxBadSteps = n; return this; }
        public Builder listener(TrainingListener l) { this.listeners.add(l); return this; }
        /**
         * Bytes of preprocessed pixels of one global batch kept between the two feature-caching passes (default
         * 1 GiB); a larger global batch decodes its images again for the second pass instead.
         */
        public Builder pixelBudget(long bytes) { this.pixelBudget = bytes; return this; }

        /**
         * Checks every option (a {@link IllegalArgumentException} naming the command-line option and the range)
         * and returns the trainer.
         */
        public Trainer build() {
            if (data == null) throw new IllegalArgumentException("no training data (data(...))");
            if (config == null && init == null && resume == null) throw new IllegalArgumentException("no model: model(config), init(weights) or resume(...)");
            atLeast("--batch-size", batchSize, 1);
            atLeast("--accum-freq", accumFreq, 1);
            if (batchSize % accumFreq != 0) {
                throw new IllegalArgumentException("--batch-size " + batchSize + " must be a multiple of --accum-freq " + accumFreq);
            }
            if (stepsSet) atLeast("--steps", steps, 1);
            atLeast("--epochs", epochs, 1);
            finite("--lr", lr, 0, Double.MAX_VALUE);
            finite("--wd", wd, 0, Double.MAX_VALUE);
            finite("--momentum", momentum, 0, 1);
            atLeast("--warmup", warmup, 0);
            finite("--grad-clip", gradClip, 0, Double.MAX_VALUE);
            if (!(scaleLo > 0 && scaleLo <= scaleHi && scaleHi <= 1)) { // NaN fails too
                throw new IllegalArgumentException("augmentation scale " + scaleLo + "-" + scaleHi + ": expected 0 < low <= high <= 1");
            }
            atLeast("--checkpoint-every", checkpointEvery, 1);
            atLeast("--keep-last", keepLast, 1);
            atLeast("--val-every", valEvery, 0);
            atLeast("--val-samples", valSamples, 1);
            atLeast("--data-threads", dataThreads, 1);
            atLeast("prefetch batches", prefetch, 1);
            atLeast("max bad steps", maxBadSteps, 1);
            atLeast("--max-consecutive-bad-samples", maxConsecutiveBadSamples, 1);
            atLeast("pixel budget", pixelBudget, 0);
            if (!schedule.equals("cosine") && !schedule.equals("const")) {
                throw new IllegalArgumentException("--lr-scheduler " + schedule + ": expected cosine or const");
            }
            if (!optimizer.equals("adamw") && !optimizer.equals("sgd")) {
                throw new IllegalArgumentException("--optimizer " + optimizer + ": expected adamw or sgd");
            }
            if (overwrite && resume != null) throw new IllegalArgumentException("--overwrite and --resume exclude each other");
            lock(); // validates the locking options
            return new Trainer(this);
        }
    }
}
