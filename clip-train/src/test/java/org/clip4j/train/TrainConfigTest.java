package org.clip4j.train;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.encoders.ClipModel;
import org.clip4j.encoders.Provenance;
import org.clip4j.train.data.SyntheticShapes;
import org.clip4j.train.data.SyntheticSource;
import org.clip4j.train.optim.AdamWConfig;
import org.clip4j.train.optim.LrSchedule;
import org.clip4j.train.optim.OptimizerConfig;
import org.clip4j.train.optim.SgdConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Trainer.Builder.build(), TrainConfig, the typed optimiser and schedule values, and provenance from training. */
class TrainConfigTest {
    @TempDir
    Path tmp;

    private static Trainer.Builder base() {
        return Trainer.builder().model(TrainerTest.tiny()).data(new SyntheticSource(SyntheticShapes.training(3, 32), 40))
                .batchSize(8).steps(2).seed(11).dataThreads(1);
    }

    private static String buildError(Trainer.Builder b) {
        return assertThrows(IllegalArgumentException.class, b::build).getMessage();
    }

    @Test
    void everyProblemIsReportedInOneErrorNamingItsField() {
        String m = buildError(base().batchSize(0).keepLast(0).gradClip(Double.NaN).pixelBudget(-1));
        assertEquals("TrainConfig.batchSize 0: expected an integer >= 1; TrainConfig.gradClip NaN: expected a finite number >= 0;"
                + " TrainConfig.keepLast 0: expected an integer >= 1; TrainConfig.pixelBudget -1: expected an integer >= 0", m);
    }

    @Test
    void missingPartsAreNamed() {
        String m = buildError(Trainer.builder());
        assertTrue(m.contains("TrainConfig.data: missing"), m);
        assertTrue(m.contains("TrainConfig.model: missing; give a model, an init (weights) or a resume (checkpoint)"), m);
        assertTrue(buildError(base().optimizer(null)).startsWith("TrainConfig.optimizer: missing"));
        assertTrue(buildError(base().schedule(null)).startsWith("TrainConfig.schedule: missing"));
        assertTrue(buildError(base().precision(null)).startsWith("TrainConfig.precision: expected FP32, BF16 or FP16, got null"));
        assertEquals("TrainConfig.listeners: expected listeners, got a null one", buildError(base().listener(null)));
    }

    @Test
    void rulesBetweenFieldsNameBothFields() {
        assertEquals("TrainConfig.batchSize 6 must be a multiple of TrainConfig.accumFreq 4", buildError(base().batchSize(6).accumFreq(4)));
        assertEquals("TrainConfig.resume needs TrainConfig.checkpointDir", buildError(base().resume("latest")));
        assertEquals("TrainConfig.overwrite and TrainConfig.resume exclude each other",
                buildError(base().resume("latest").overwrite(true).checkpointDir(tmp)));
        assertEquals("TrainConfig.augmentScale 0.5-0.2: expected 0 < low <= high <= 1", buildError(base().augmentScale(0.5, 0.2)));
    }

    @Test
    void towerLockProblemsComeWithTheOthers() {
        String m = buildError(base().batchSize(0).lockImageUnlockedGroups(2).lockTextUnlockedLayers(-1));
        assertEquals("TrainConfig.batchSize 0: expected an integer >= 1; TowerLock.unlockedLayers -1: expected an integer >= 0;"
                + " TowerLock.unlockedGroups 2: needs TowerLock.image (the image tower locked)", m);
    }

    @Test
    void optimizerAndScheduleValuesCheckTheirFieldsWhenMade() {
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class, () -> AdamWConfig.of(-1, 1.0, 0.98, -1e-6, 0.2));
        assertEquals("AdamWConfig.lr -1: expected a finite number >= 0; AdamWConfig.beta1 1: expected a number in [0, 1);"
                + " AdamWConfig.eps -1.0E-6: expected a finite number >= 0", a.getMessage());
        IllegalArgumentException s = assertThrows(IllegalArgumentException.class, () -> SgdConfig.of(0.1, 1.5, -2));
        assertEquals("SgdConfig.momentum 1.5: expected a finite number in [0, 1]; SgdConfig.weightDecay -2: expected a finite number >= 0",
                s.getMessage());
        assertEquals("LrSchedule.warmup -5: expected an integer >= 0",
                assertThrows(IllegalArgumentException.class, () -> LrSchedule.constant(-5)).getMessage());
        assertEquals("LrSchedule.kind: expected COSINE or CONSTANT, got null",
                assertThrows(IllegalArgumentException.class, () -> new LrSchedule(null, 0)).getMessage());
    }

    @Test
    void onlyKnownOptimizersAndSchedulesExist() {
        // no names to misspell: the choices are types and enum constants
        assertTrue(OptimizerConfig.class.isSealed());
        assertEquals(Set.of(AdamWConfig.class, SgdConfig.class), Set.of(OptimizerConfig.class.getPermittedSubclasses()));
        assertEquals(List.of(LrSchedule.Kind.COSINE, LrSchedule.Kind.CONSTANT), List.of(LrSchedule.Kind.values()));
    }

    @Test
    void defaultsAreOpenClipsAndAdamWMomentsFollowTheImageTower() {
        TrainConfig c = base().build().config();
        assertEquals(AdamWConfig.of(5e-4, 0.2), c.optimizer());
        assertEquals(LrSchedule.cosine(0), c.schedule());
        AdamWConfig adamw = (AdamWConfig) c.optimizer();
        assertEquals(new AdamWConfig.Moments(0.9, 0.98, 1e-6), adamw.momentsFor(ClipConfig.builtin("ViT-B-32")));
        assertEquals(new AdamWConfig.Moments(0.9, 0.999, 1e-8), adamw.momentsFor(ClipConfig.builtin("RN50")));
        assertEquals(new AdamWConfig.Moments(0.9, 0.95, 1e-8),
                AdamWConfig.of(1e-3, 0.9, 0.95, 1e-8, 0.1).momentsFor(ClipConfig.builtin("RN50")), "explicit moments win");
        assertEquals("AdamW lr 5.0E-4, betas (0.9, 0.999), eps 1.0E-8, weight decay 0.2", adamw.describe(ClipConfig.builtin("RN50")));
    }

    @Test
    void changingTheBuilderAfterBuildDoesNotChangeTheTrainer() {
        TrainingListener first = new TrainingListener() {
        };
        Trainer.Builder b = base().listener(first);
        Trainer t = b.build();
        TrainConfig before = t.config();
        b.batchSize(16).steps(9).optimizer(SgdConfig.of(0.1, 0.9, 0)).schedule(LrSchedule.constant(3)).lockImage(true)
                .listener(new TrainingListener() {
                });
        assertSame(before, t.config());
        assertEquals(8, t.config().batchSize());
        assertEquals(2, t.config().steps().getAsLong());
        assertEquals(AdamWConfig.of(5e-4, 0.2), t.config().optimizer());
        assertEquals(LrSchedule.cosine(0), t.config().schedule());
        assertEquals(TowerLock.NONE, t.config().lock());
        assertEquals(List.of(first), t.config().listeners());
        assertThrows(UnsupportedOperationException.class, () -> t.config().listeners().add(first));
        assertEquals(16, b.build().config().batchSize(), "the builder itself goes on");
    }

    @Test
    void aTrainerJsonWrittenBeforeTypedProvenanceStillReads() throws java.io.IOException {
        // the format of earlier clip4j versions: every provenance value a string, the config a JSON text inside it
        Path ckpt = tmp.resolve("step-00000002");
        java.nio.file.Files.createDirectories(ckpt);
        String config = TrainerTest.tiny().toJson().replace("\\", "\\\\").replace("\"", "\\\"");
        java.nio.file.Files.writeString(ckpt.resolve("trainer.json"), "{\"step\": 2, \"samples_seen\": 16, \"data_position\": 16,"
                + " \"skipped\": 0, \"seed\": 11, \"last_loss\": 2.5, \"provenance\": {\"config\": \"" + config + "\","
                + " \"data\": \"synthetic shapes (40 samples)\", \"global_batch\": \"8\", \"precision\": \"fp32\"}}");
        TrainingState s = CheckpointStore.readState(ckpt);
        assertEquals(TrainerTest.tiny(), s.config());
        assertNull(s.provenance(), "not typed then: a resumed run starts a new one");
        assertEquals(2, s.step());
        assertEquals(16, s.dataPosition());
    }

    @Test
    void checkpointsAndTheFinalModelCarryTheProvenanceAndResumeKeepsIt() {
        Path dir = tmp.resolve("run");
        Instant before = Instant.now();
        Trainer.Builder b = base().batchSize(8).accumFreq(2).optimizer(AdamWConfig.of(1e-3, 0.2)).schedule(LrSchedule.cosine(1))
                .gradClip(1.5).checkpointDir(dir).checkpointEvery(1);
        Provenance first;
        try (ClipModel m = b.build().run().model()) {
            first = m.provenance().orElseThrow();
        }
        assertEquals(2, first.steps());
        assertEquals(2, first.totalSteps());
        assertEquals(11, first.seed());
        assertEquals(8, first.globalBatch());
        assertEquals(4, first.microBatch());
        assertEquals(1, first.worldSize());
        assertEquals("custom", first.model());
        assertEquals("random (reference initialisation)", first.init());
        assertEquals("AdamW lr 0.001, betas (0.9, 0.98), eps 1.0E-6, weight decay 0.2", first.optimizer());
        assertEquals("cosine, warmup 1 steps", first.schedule());
        assertEquals(1.5, first.gradClip());
        assertEquals("fp32", first.precision());
        assertEquals("none", first.lock());
        assertTrue(first.data().startsWith("synthetic shapes"), first.data());
        assertFalse(first.started().isBefore(before.minusSeconds(1)), first.started().toString());

        // the checkpoint's model file and trainer.json say the same, with the steps at that checkpoint
        Path step1 = dir.resolve("step-00000001");
        try (ClipModel m = ClipModel.load(step1.resolve("model.safetensors"))) {
            assertEquals(first.withSteps(1), m.provenance().orElseThrow());
        }
        assertEquals(first.withSteps(1), CheckpointStore.readState(step1).provenance());
        assertEquals(TrainerTest.tiny(), CheckpointStore.readState(step1).config());

        // resuming to step 4 with another learning rate: the original provenance, the steps updated
        try (ClipModel m = b.steps(4).optimizer(AdamWConfig.of(5e-4, 0.2)).resume("latest").build().run().model()) {
            assertEquals(first.withSteps(4), m.provenance().orElseThrow());
        }
        try (ClipModel m = ClipModel.load(dir.resolve("step-00000004").resolve("model.safetensors"))) {
            assertEquals(first.withSteps(4), m.provenance().orElseThrow());
        }
    }
}
