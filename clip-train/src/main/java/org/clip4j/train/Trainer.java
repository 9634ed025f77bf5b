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
import org.clip4j.encoders.Provenance;
import org.clip4j.train.data.Batch;
import org.clip4j.train.data.BatchLoader;
import org.clip4j.train.data.RankShare;
import org.clip4j.train.data.Sampling;
import org.clip4j.train.data.ImageTextSource;
import org.clip4j.train.dist.Collectives;
import org.clip4j.train.dist.DataParallel;
import org.clip4j.train.optim.AdamWConfig;
import org.clip4j.train.optim.GradientTools;
import org.clip4j.train.optim.LossScaler;
import org.clip4j.train.optim.LrSchedule;
import org.clip4j.train.optim.Optimizer;
import org.clip4j.train.optim.OptimizerConfig;
import org.clip4j.train.optim.SgdConfig;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Contrastive training of a {@link ClipModel}: batches from an {@link ImageTextSource}, the symmetric loss over
 * the global batch (computed in micro-batches by feature caching when {@code accumFreq > 1}), AdamW or SGD with
 * warmup + cosine (or constant) learning rate, the temperature clamped to 100, checkpoints that resume exactly.
 * The model files it writes (checkpoints and the returned model's {@link ClipModel#save}) carry a
 * {@link Provenance}.
 *
 * <p>A complete run:
 * <pre>{@code
 * Trainer trainer = Trainer.builder()
 *     .model(ClipConfig.builtin("clip4j-tiny"))                       // a new model of this architecture
 *     .data(new SyntheticSource(SyntheticShapes.training(0, 32), 50_000))
 *     .optimizer(AdamWConfig.of(2e-3, 0.2))                           // lr, weight decay; CLIP's betas and eps
 *     .schedule(LrSchedule.cosine(100))                               // 100 warmup steps, then cosine to 0
 *     .batchSize(64).steps(1500).seed(0)
 *     .checkpointDir(Path.of("runs/tiny"))                            // checkpoints and metrics.jsonl
 *     .build();                                                       // every option checked here
 * Trainer.TrainResult r = trainer.run();
 * try (ClipModel model = r.model()) {
 *     model.save(Path.of("tiny.safetensors"));                        // weights, config and provenance
 * }
 * }</pre>
 * {@link Builder#build()} checks every option and reports all problems in one {@link IllegalArgumentException}
 * naming the fields ({@code TrainConfig.batchSize 0: expected an integer >= 1}); the trainer then keeps the
 * immutable {@link TrainConfig}.
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

    private final TrainConfig c;

    /** A trainer for an already checked configuration (what {@link Builder#build()} returns). */
    public Trainer(TrainConfig config) {
        this.c = java.util.Objects.requireNonNull(config, "config");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The configuration this trainer runs. */
    public TrainConfig config() {
        return c;
    }

    /** Runs to the configured number of steps (resuming first if asked) and returns the trained model. */
    public TrainResult run() {
        if (c.checkpointDir() == null) return train(null); // TrainConfig: no resume without a folder
        // Data-parallel: rank 0 alone locks and writes the folder; the other ranks only read it (--resume).
        if (!leader()) return train(new CheckpointStore(c.checkpointDir(), c.keepLast()));
        // One writer per folder: a second run would delete the first one's checkpoints in flight.
        try (CheckpointLock folderLock = CheckpointLock.acquire(c.checkpointDir())) {
            LOG.debug("locked {}", folderLock.file());
            return train(new CheckpointStore(c.checkpointDir(), c.keepLast()));
        }
    }

    /**
     * The checkpoint to resume from, or null to start a new run. A new run refuses a folder that holds another
     * run's checkpoints unless told to overwrite it; resuming {@code "latest"} in a folder without any checkpoint (a
     * run killed before its first one) starts from scratch when there is a model to start from.
     */
    private Path startingPoint(CheckpointStore store) {
        if (c.resume() == null) {
            if (store != null && store.hasCheckpoints()) {
                if (!c.overwrite()) {
                    throw new ClipException(store.dir() + " holds the checkpoints of another run (" + store.describeCheckpoints()
                            + "): continue that run with TrainConfig.resume latest, give another TrainConfig.checkpointDir, or start"
                            + " over with TrainConfig.overwrite (deletes them)");
                }
                if (leader()) { // rank 0 clears; the others start from scratch too
                    LOG.warn("overwrite: deleting the checkpoints ({}) and metrics of the previous run in {}",
                            store.describeCheckpoints(), store.dir());
                    store.clear();
                }
            }
            return null;
        }
        if (c.resume().equals("latest") && store.list().isEmpty() && !store.hasCheckpoints()) {
            if (c.model() == null && c.init() == null) {
                throw new ClipException(store.dir() + ": no checkpoint to resume from (TrainConfig.resume latest), and no"
                        + " TrainConfig.model or TrainConfig.init to start a new run with");
            }
            LOG.warn("resume latest: {} holds no checkpoint yet (a run stopped before its first one); starting from scratch",
                    store.dir());
            return null;
        }
        return store.resolve(c.resume());
    }

    /** True for a single process and for rank 0 of a data-parallel run (who writes checkpoints and metrics). */
    private boolean leader() {
        return c.collectives() == null || c.collectives().rank() == 0;
    }

    /** A one-line description of an architecture, for mismatch messages. */
    private static String describe(ClipConfig a) {
        ClipConfig.Vision v = a.vision();
        return (v.isResNet() ? "ResNet " + v.layers() : "ViT patch " + v.patchSize() + " depth " + v.depth())
                + " width " + v.width() + " image " + v.imageSize() + ", text width " + a.text().width() + " layers "
                + a.text().layers() + " context " + a.text().contextLength() + ", embed " + a.embedDim();
    }

    private TrainResult train(CheckpointStore store) {
        Path resumeFrom = startingPoint(store);
        TrainingState state = resumeFrom == null ? null : CheckpointStore.readState(resumeFrom);
        long seed = state != null ? state.seed() : c.seed();
        if (state != null && c.model() != null) {
            ClipConfig saved = state.config();
            if (!saved.equals(c.model())) {
                throw new ClipException(resumeFrom + " holds another architecture than TrainConfig.model: checkpoint "
                        + describe(saved) + "; TrainConfig.model " + describe(c.model()) + ". Resume without"
                        + " TrainConfig.model, or start a new run in another folder");
            }
        }

        ClipModel model = resumeFrom != null ? ClipModel.load(resumeFrom.resolve("model.safetensors"))
                : c.init() != null ? (c.model() != null ? ClipModel.load(c.init(), c.model()) : ClipModel.load(c.init()))
                : ClipModel.create(c.model(), seed);
        ClipConfig cfg = model.config();
        model.setActivationRecompute(c.activationRecompute());
        model.setPrecision(c.precision());
        // fp16 only: bf16 has float32's exponent range, fp32 needs no scaling.
        LossScaler scaler = c.precision().needsLossScaling() ? c.lossScaler().create() : null;
        if (scaler != null && state != null && state.lossScaler() != null) scaler.load(state.lossScaler());
        Provenance saved = state == null ? null : state.provenance();
        if (saved != null && !saved.precision().equals(describe(c.precision()))) {
            LOG.warn("resuming a run saved with precision {} in precision {}", saved.precision(), describe(c.precision()));
        }
        TowerLock lock = c.lock();
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
        Optimizer opt = c.optimizer().create(params, cfg);
        if (resumeFrom != null) CheckpointStore.loadOptimizer(resumeFrom, opt);
        DataParallel dp = DataParallel.of(c.collectives()); // one process: no communication
        dp.start(model); // every rank takes rank 0's weights

        long total = dp.agreeSteps(c.totalSteps(c.data().size()));
        LrSchedule schedule = c.schedule();
        double baseLr = c.optimizer().lr();
        int micro = dp.microBatch(c.batchSize(), c.accumFreq()); // per rank
        // A resumed run keeps the provenance it started with (checkpoints from before clip4j typed it have none).
        Provenance provenance = saved != null ? saved : provenance(cfg, seed, total, micro);
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
        LOG.info("training {} ({} parameters) on {} for {} steps, global batch {} (micro-batch {}), {}, schedule {}, seed {}, precision {}{}{}",
                cfg.vision().isResNet() ? "a ResNet CLIP" : "a ViT CLIP", model.parameterCount(), c.data().describe(), total, c.batchSize(), micro,
                c.optimizer().describe(cfg), schedule.describe(), seed,
                c.precision().cliName(), scaler == null ? "" : " (" + scaler + ")",
                resumeFrom == null ? "" : ", resumed from " + resumeFrom + " at step " + step);
        // The loader delivers micro-batches; accumFreq consecutive ones form a global batch.
        TrainTransform augment = c.augment() ? TrainTransform.builder().size(pre.size()).scale(c.augmentScaleLow(), c.augmentScaleHigh()).build() : null;
        // Each rank reads its blocks of the global stream from the global position (all of it with one process).
        RankShare share = dp.share(position, micro);
        try (BatchLoader loader = new BatchLoader(c.data(), pre, augment, tok, ctx, micro, Sampling.of(c.shuffle(), c.datasetResampled()), seed, share, 0,
                c.dataThreads(), Math.max(c.prefetchBatches(), Math.min(c.accumFreq(), 4)), c.maxConsecutiveBadSamples());
             BufferedWriter metrics = dp.leader() ? metricsWriter(step == 0) : new BufferedWriter(java.io.Writer.nullWriter())) {
            for (TrainingListener l : c.listeners()) l.onStart(model);
            while (step < total) {
                long t0 = System.nanoTime();
                double wait0 = loader.waitSeconds();
                double loss;
                boolean skippedStep;
                double lr = schedule.lr(step, baseLr, total);
                List<Batch> parts = new ArrayList<>();
                for (int k = 0; k < c.accumFreq(); k++) parts.add(loader.next());
                Batch lastPart = parts.get(parts.size() - 1);
                try (GlobalBatch global = new GlobalBatch(parts, loader, c.pixelBudget())) {
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
                    if (badInARow >= c.maxBadSteps()) {
                        throw new ClipException(badInARow + " consecutive non-finite steps at step " + (step + 1)
                                + "; stopping. The last good checkpoint is " + (last == null ? "(none)" : last));
                    }
                } else {
                    badInARow = 0;
                    if (c.gradClip() > 0) GradientTools.clipGlobalNorm(params, c.gradClip());
                    opt.step(lr);
                    GradientTools.clampLogitScale(model.logitScale());
                    lastLoss = loss;
                }
                dp.afterStep(model); // BatchNorm statistics: rank 0's on every rank
                step++;
                double secs = (System.nanoTime() - t0) / 1e9;
                StepMetrics m = new StepMetrics(step, total, loss, lr, Math.exp(model.logitScale().value().getDouble(0)),
                        c.batchSize() / secs, loader.waitSeconds() - wait0, skippedStep);
                writeMetrics(metrics, m, scaler);
                for (TrainingListener l : c.listeners()) l.onStep(m);
                if (dp.leader() && c.valData() != null && c.valEvery() > 0 && (step % c.valEvery() == 0 || step == total)) {
                    Map<String, Double> v = validate(model, pre, tok, ctx);
                    lock.applyBatchNormFreeze(model); // validation switched every BatchNorm back to training
                    for (TrainingListener l : c.listeners()) l.onValidation(step, v);
                    writeValidation(metrics, step, v);
                }
                // Only after a good step: a run that ends in a streak of bad steps keeps its last good checkpoint. An
                // fp16 overflow with a finite loss is routine (the scaler backed off; weights untouched): it saves.
                boolean goodState = !skippedStep || scaler != null && Double.isFinite(loss);
                if (dp.leader() && store != null && goodState && (step % c.checkpointEvery() == 0 || step == total)) {
                    String bad = GradientTools.firstNonFiniteWeight(model.parameters());
                    if (bad != null) {
                        throw new ClipException("step " + step + ": parameter '" + bad + "' holds NaN or infinite weights;"
                                + " no checkpoint written, stopping (the last good checkpoint is " + (last == null ? "(none)" : last)
                                + "). Try a lower learning rate (TrainConfig.optimizer) or gradient clipping (TrainConfig.gradClip)");
                    }
                    model.setProvenance(provenance.withSteps(step)); // written into model.safetensors
                    TrainingState s = new TrainingState(step, samplesSeen, position, skippedSamples, seed, lastLoss, cfg,
                            provenance.withSteps(step), scaler == null ? null : scaler.state());
                    last = store.save(model, opt, s);
                    for (TrainingListener l : c.listeners()) l.onCheckpoint(step, last);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            opt.close();
        }
        model.train(false);
        model.setPrecision(Precision.FP32); // the weights are float32: evaluate them exactly (and fast on CPUs)
        model.setProvenance(provenance.withSteps(step)); // what model.save() writes
        return new TrainResult(model, new TrainingState(step, samplesSeen, position, skippedSamples, seed, lastLoss, cfg,
                provenance.withSteps(step), scaler == null ? null : scaler.state()), last);
    }

    /** Validation loss and image↔text recall@1/5/10 on up to {@code valSamples} held-out pairs. */
    private Map<String, Double> validate(ClipModel model, ImagePreprocessor pre, ClipTokenizer tok, int ctx) {
        model.train(false);
        int n = (int) Math.min(c.valSamples(), c.valData().size());
        List<INDArray> imgs = new ArrayList<>(), txts = new ArrayList<>();
        int chunk = Math.max(1, c.batchSize() / c.accumFreq());
        for (int a = 0; a < n; a += chunk) {
            int m = Math.min(chunk, n - a);
            float[] px = new float[m * 3 * pre.size() * pre.size()];
            List<String> caps = new ArrayList<>();
            for (int i = 0; i < m; i++) {
                float[] one = pre.apply(c.valData().image(a + i));
                System.arraycopy(one, 0, px, i * one.length, one.length);
                caps.add(c.valData().caption(a + i));
            }
            INDArray x = Nd4j.create(px, new long[]{m, 3, pre.size(), pre.size()});
            INDArray ids = tok.tokenizeToArray(caps, ctx, true);
            imgs.add(model.encodeImageNormalized(x));
            txts.add(model.encodeTextNormalized(ids));
            x.close();
            ids.close();
        }
        // Nd4j.concat of one array returns that array itself: close the chunks only when a new array was made.
        INDArray img = imgs.size() == 1 ? imgs.get(0) : Nd4j.concat(0, imgs.toArray(INDArray[]::new));
        INDArray txt = txts.size() == 1 ? txts.get(0) : Nd4j.concat(0, txts.toArray(INDArray[]::new));
        if (imgs.size() > 1) imgs.forEach(INDArray::close);
        if (txts.size() > 1) txts.forEach(INDArray::close);
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

    /** The provenance of a new run (its steps are set at each save). */
    private Provenance provenance(ClipConfig cfg, long seed, long total, int micro) {
        String version = Trainer.class.getPackage().getImplementationVersion();
        return new Provenance(version == null ? "development" : version, modelName(cfg),
                c.init() == null ? "random (reference initialisation)" : c.init().toString(), c.data().describe(), 0, total, seed,
                c.batchSize(), micro, c.collectives() == null ? 1 : c.collectives().size(), c.optimizer().describe(cfg),
                c.schedule().describe(), c.gradClip(), c.lock().equals(TowerLock.NONE) ? "none" : c.lock().toString(),
                c.augment() ? "RandomResizedCrop scale " + c.augmentScaleLow() + "-" + c.augmentScaleHigh() : "none (evaluation transform)",
                describe(c.precision()), Instant.now(), System.getProperty("java.version"), ND4J_VERSION);
    }

    /** The ND4J release clip4j is built against (the one its pom names). */
    private static final String ND4J_VERSION = "1.0.0-M2.1";

    /** The built-in config's name if {@code cfg} is one, else {@code custom}. */
    private static String modelName(ClipConfig cfg) {
        for (String n : ClipConfig.names()) if (ClipConfig.builtin(n).equals(cfg)) return n;
        return "custom";
    }

    /** {@code fp32}, or the mixed-precision mode and what stays float32 (provenance's wording). */
    static String describe(Precision p) {
        return p.cliName() + (p.isHalf() ? " (mixed: " + p.cliName() + " matrix products; float32 master weights, optimiser state,"
                + " LayerNorm, softmax, loss" + (p.needsLossScaling() ? "; dynamic loss scaling" : "") + ")" : "");
    }

    private BufferedWriter metricsWriter(boolean fresh) throws IOException {
        if (c.checkpointDir() == null) return new BufferedWriter(java.io.Writer.nullWriter());
        Files.createDirectories(c.checkpointDir());
        Path f = c.checkpointDir().resolve("metrics.jsonl");
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

    /**
     * Options of a run; defaults follow OpenCLIP (AdamW lr 5e-4 wd 0.2, cosine without warmup). Setters only
     * record; {@link #build()} checks everything at once. The builder can be reused: a built {@link Trainer} keeps
     * its own immutable {@link TrainConfig}.
     */
    public static final class Builder {
        private ClipConfig config;
        private Path init;
        private ImageTextSource data, valData;
        private int batchSize = 64, accumFreq = 1, keepLast = 3, checkpointEvery = 100, valEvery = 0, valSamples = 1000;
        private OptionalLong steps = OptionalLong.empty();
        private long epochs = 1, seed = 0;
        private OptimizerConfig optimizer = OptimizerConfig.DEFAULT;
        private LrSchedule schedule = LrSchedule.DEFAULT;
        private String resume;
        private double gradClip = 0;
        private boolean shuffle = true, lockImage, lockText, freezeBnStats, augment = true, recompute;
        private boolean resampled, overwrite;
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
        public Builder steps(long n) { this.steps = OptionalLong.of(n); return this; }
        public Builder epochs(long n) { this.epochs = n; return this; }
        /**
         * The optimiser and its base learning rate: {@link AdamWConfig} (default {@link OptimizerConfig#DEFAULT}:
         * lr 5e-4, weight decay 0.2, the CLIP paper's betas and eps for the image tower) or {@link SgdConfig}.
         */
        public Builder optimizer(OptimizerConfig o) { this.optimizer = o; return this; }
        /** The learning-rate schedule (default {@link LrSchedule#DEFAULT}: cosine, no warmup). */
        public Builder schedule(LrSchedule s) { this.schedule = s; return this; }
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
        public Builder precision(Precision p) { this.precision = p; return this; }
        /**
         * The fp16 loss scaler's options (default PyTorch's GradScaler: 2¹⁶, ×2 after 2,000 clean steps, ×0.5),
         * read when {@link #build()} runs.
         */
        public Builder lossScaler(LossScaler.Builder s) { this.scaler = s; return this; }
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
         * Checks every option and returns a trainer holding an immutable copy of them ({@link TrainConfig}). All
         * problems are reported in one {@link IllegalArgumentException}, each naming its field
         * ({@code TrainConfig.batchSize 0: expected an integer >= 1}; the tower lock's as {@code TowerLock.*}).
         */
        public Trainer build() {
            TowerLock lock = null;
            String lockProblem = null;
            try {
                lock = new TowerLock(lockImage, unlockedGroups, freezeBnStats, lockText, unlockedLayers);
            } catch (IllegalArgumentException e) {
                lockProblem = e.getMessage();
            }
            LossScaler.Config scalerConfig = scaler == null ? null : scaler.config();
            TrainConfig checked = null;
            String problems = null;
            try {
                checked = new TrainConfig(config, init, data, valData, batchSize, accumFreq, steps, epochs, optimizer, schedule,
                        gradClip, shuffle, resampled, augment, scaleLo, scaleHi, recompute, precision, scalerConfig, seed,
                        collectives, checkpointDir, checkpointEvery, keepLast, resume, overwrite, maxConsecutiveBadSamples,
                        valEvery, valSamples, lock == null ? TowerLock.NONE : lock, dataThreads, prefetch, maxBadSteps,
                        pixelBudget, listeners);
            } catch (IllegalArgumentException e) {
                problems = e.getMessage();
            }
            if (problems != null || lockProblem != null) {
                throw new IllegalArgumentException(problems == null ? lockProblem
                        : lockProblem == null ? problems : problems + "; " + lockProblem);
            }
            return new Trainer(checked);
        }
    }
}
