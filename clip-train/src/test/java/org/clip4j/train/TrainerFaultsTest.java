package org.clip4j.train;

import org.clip4j.train.optim.AdamWConfig;
import org.clip4j.train.optim.LrSchedule;
import org.clip4j.core.ClipException;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.encoders.ClipModel;
import org.clip4j.train.data.CsvManifest;
import org.clip4j.train.data.SyntheticShapes;
import org.clip4j.train.data.SyntheticSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.*;

/** Issue 13: what a training run refuses, checks and guarantees around its checkpoint folder. */
class TrainerFaultsTest {
    @TempDir
    Path tmp;

    private Trainer.Builder base(Path dir) {
        return Trainer.builder().model(TrainerTest.tiny()).data(new SyntheticSource(SyntheticShapes.training(3, 32), 40))
                .batchSize(4).steps(3).optimizer(AdamWConfig.of(1e-3, 0.2)).seed(11).dataThreads(1).checkpointDir(dir).checkpointEvery(1).keepLast(3);
    }

    private static void run(Trainer.Builder b) {
        try (ClipModel m = b.build().run().model()) {
            assertNotNull(m);
        }
    }

    private static List<Long> steps(Path dir) {
        return new CheckpointStore(dir, 1).list().stream().map(CheckpointStore::stepOf).toList();
    }

    // item 1 -------------------------------------------------------------------------------------------------

    @Test
    void allBadDataStopsTheRunWithAClearError() throws IOException {
        StringBuilder sb = new StringBuilder("filepath\ttitle\n");
        for (int i = 0; i < 18; i++) sb.append("gone-").append(i).append(".png\tx\n");
        Path m = tmp.resolve("bad.tsv");
        Files.writeString(m, sb);
        ClipException e = assertThrows(ClipException.class, () -> run(base(tmp.resolve("bad")).data(CsvManifest.read(m))));
        assertTrue(e.getMessage().contains("not one usable sample in a whole epoch"), e.getMessage());
        assertEquals(List.of(), steps(tmp.resolve("bad")), "no checkpoint of nothing");
    }

    // item 2 -------------------------------------------------------------------------------------------------

    @Test
    void aNewRunRefusesAnotherRunsCheckpointsUnlessOverwriting() throws IOException {
        Path dir = tmp.resolve("run");
        run(base(dir).steps(6).keepLast(2));
        assertEquals(List.of(5L, 6L), steps(dir));
        long metricsLines = Files.readAllLines(dir.resolve("metrics.jsonl")).size();

        ClipException e = assertThrows(ClipException.class, () -> run(base(dir)));
        assertTrue(e.getMessage().contains("holds the checkpoints of another run (step-00000005 .. step-00000006 (2))"), e.getMessage());
        assertTrue(e.getMessage().contains("TrainConfig.resume latest") && e.getMessage().contains("TrainConfig.overwrite"), e.getMessage());
        assertEquals(List.of(5L, 6L), steps(dir), "the old run is untouched");
        assertEquals(metricsLines, Files.readAllLines(dir.resolve("metrics.jsonl")).size(), "its metrics too");

        run(base(dir).overwrite(true).keepLast(2));
        assertEquals(List.of(2L, 3L), steps(dir), "overwrite: only the new run's checkpoints");
        assertEquals(3, TrainerTest.losses(dir.resolve("metrics.jsonl")).size());
    }

    @Test
    void keepLastNeverDeletesTheCheckpointJustWritten() throws IOException {
        Path dir = tmp.resolve("prune");
        run(base(dir).steps(2).keepLast(5));
        // a higher-numbered checkpoint (another run's) is in the folder when this run writes step 2 with keep-last 1
        Path later = dir.resolve("step-00000040");
        copyTree(dir.resolve("step-00000002"), later);
        run(base(dir).steps(2).keepLast(1).resume(dir.resolve("step-00000001").toString()));
        assertTrue(Files.isDirectory(dir.resolve("step-00000002")), "the checkpoint just written is kept: " + steps(dir));
    }

    // item 6 -------------------------------------------------------------------------------------------------

    @Test
    void resumingWithAnotherArchitectureIsRefused() {
        Path dir = tmp.resolve("arch");
        run(base(dir).steps(1));
        ClipConfig other = ClipConfig.fromJson(TrainerTest.tiny().toJson().replace("\"embed_dim\":16", "\"embed_dim\":8"));
        assertNotEquals(TrainerTest.tiny(), other);
        ClipException e = assertThrows(ClipException.class, () -> run(base(dir).model(other).steps(2).resume("latest")));
        assertTrue(e.getMessage().contains("another architecture than TrainConfig.model"), e.getMessage());
        assertTrue(e.getMessage().contains("embed 16") && e.getMessage().contains("embed 8"), e.getMessage());
        run(base(dir).steps(2).resume("latest")); // the same architecture resumes
        assertEquals(List.of(1L, 2L), steps(dir));
    }

    // item 5 -------------------------------------------------------------------------------------------------

    @Test
    void everyNumericOptionIsValidatedNamingItsField() {
        Path dir = tmp.resolve("v");
        List<Object[]> bad = List.of(
                new Object[]{(Consumer<Trainer.Builder>) b -> b.batchSize(0), "TrainConfig.batchSize 0"},
                new Object[]{(Consumer<Trainer.Builder>) b -> b.batchSize(-4), "TrainConfig.batchSize -4"},
                new Object[]{(Consumer<Trainer.Builder>) b -> b.accumFreq(0), "TrainConfig.accumFreq 0"},
                new Object[]{(Consumer<Trainer.Builder>) b -> b.steps(0), "TrainConfig.steps 0"},
                new Object[]{(Consumer<Trainer.Builder>) b -> b.steps(-1), "TrainConfig.steps -1"},
                new Object[]{(Consumer<Trainer.Builder>) b -> b.epochs(0), "TrainConfig.epochs 0"},
                new Object[]{(Consumer<Trainer.Builder>) b -> b.optimizer(AdamWConfig.of(Double.NaN, 0.2)), "AdamWConfig.lr NaN"},
                new Object[]{(Consumer<Trainer.Builder>) b -> b.optimizer(AdamWConfig.of(Double.POSITIVE_INFINITY, 0.2)), "AdamWConfig.lr Infinity"},
                new Object[]{(Consumer<Trainer.Builder>) b -> b.optimizer(AdamWConfig.of(-1e-3, 0.2)), "AdamWConfig.lr -0.001"},
                new Object[]{(Consumer<Trainer.Builder>) b -> b.optimizer(AdamWConfig.of(1e-3, Double.NaN)), "AdamWConfig.weightDecay NaN"},
                new Object[]{(Consumer<Trainer.Builder>) b -> b.schedule(LrSchedule.cosine(-1)), "LrSchedule.warmup -1"},
                new Object[]{(Consumer<Trainer.Builder>) b -> b.gradClip(-1), "TrainConfig.gradClip -1"},
                new Object[]{(Consumer<Trainer.Builder>) b -> b.keepLast(0), "TrainConfig.keepLast 0"},
                new Object[]{(Consumer<Trainer.Builder>) b -> b.checkpointEvery(0), "TrainConfig.checkpointEvery 0"},
                new Object[]{(Consumer<Trainer.Builder>) b -> b.dataThreads(0), "TrainConfig.dataThreads 0"},
                new Object[]{(Consumer<Trainer.Builder>) b -> b.maxConsecutiveBadSamples(0), "TrainConfig.maxConsecutiveBadSamples 0"});
        for (Object[] c : bad) {
            @SuppressWarnings("unchecked") Consumer<Trainer.Builder> f = (Consumer<Trainer.Builder>) c[0];
            // a config value fails when it is made, a builder option in build()
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
                Trainer.Builder b = base(dir);
                f.accept(b);
                b.build();
            }, (String) c[1]);
            assertTrue(e.getMessage().startsWith(c[1] + ": expected "), e.getMessage());
        }
        assertFalse(Files.exists(dir), "nothing trained, nothing written");
    }

    @Test
    void aCheckpointWithNonFiniteWeightsIsNeverWritten() {
        Path dir = tmp.resolve("inf");
        ClipModel[] model = new ClipModel[1];
        Trainer t = base(dir).steps(4).listener(new TrainingListener() {
            @Override
            public void onStart(ClipModel m) {
                model[0] = m;
            }

            @Override
            public void onStep(StepMetrics m) {
                // after step 2's update, before its checkpoint: a weight overflowed
                if (m.step() == 2) model[0].parameters().get(3).value().putScalar(0, Float.POSITIVE_INFINITY);
            }
        }).build();
        ClipException e = assertThrows(ClipException.class, t::run);
        assertTrue(e.getMessage().contains("holds NaN or infinite weights"), e.getMessage());
        assertTrue(e.getMessage().contains("step-00000001"), "names the last good checkpoint: " + e.getMessage());
        assertEquals(List.of(1L), steps(dir));
    }

    // item 7 -------------------------------------------------------------------------------------------------

    @Test
    void aDamagedNewestCheckpointIsReportedAndResumeFallsBack() throws IOException {
        Path dir = tmp.resolve("sum");
        run(base(dir).steps(3));
        Path newest = dir.resolve("step-00000003");
        String json = Files.readString(newest.resolve("trainer.json"));
        assertTrue(json.matches("(?s).*\"model.safetensors\" : \"[0-9a-f]{64}\".*"), json);
        assertNull(CheckpointStore.verify(newest));
        flip(newest.resolve("model.safetensors"), 400);
        String problem = CheckpointStore.verify(newest);
        assertNotNull(problem);
        assertTrue(problem.contains("model.safetensors does not match its SHA-256"), problem);

        CheckpointStore store = new CheckpointStore(dir, 3);
        assertEquals(dir.resolve("step-00000002"), store.resolve("latest"));
        ClipException e = assertThrows(ClipException.class, () -> store.resolve(newest.toString()));
        assertTrue(e.getMessage().contains("damaged checkpoint"), e.getMessage());

        // the run continues from step 2 and rewrites step 3 intact
        Trainer.TrainResult r = base(dir).steps(4).resume("latest").build().run();
        r.model().close();
        assertEquals(4, r.state().step());
        assertNull(CheckpointStore.verify(newest), "step 3 written again");
        assertEquals(TrainerTest.losses(dir.resolve("metrics.jsonl")).subList(2, 3),
                TrainerTest.losses(dir.resolve("metrics.jsonl")).subList(3, 4), "step 3 again from step 2's state");
    }

    @Test
    void resumeLatestWithoutAnyCheckpointStartsFromScratch() {
        Path dir = tmp.resolve("fresh");
        Trainer.TrainResult r = base(dir).steps(2).resume("latest").build().run();
        r.model().close();
        assertEquals(2, r.state().step());
        assertEquals(List.of(1L, 2L), steps(dir));
        ClipException e = assertThrows(ClipException.class,
                () -> Trainer.builder().data(new SyntheticSource(SyntheticShapes.training(3, 32), 8)).resume("latest")
                        .checkpointDir(tmp.resolve("empty")).build().run());
        assertTrue(e.getMessage().contains("no checkpoint to resume from"), e.getMessage());
    }

    // item 11 ------------------------------------------------------------------------------------------------

    @Test
    void checkpointsGetTheUsualPermissions() throws IOException {
        Path dir = tmp.resolve("perm");
        run(base(dir).steps(1));
        // what the umask gives a plain new folder and file here
        Set<PosixFilePermission> dirMode = Files.getPosixFilePermissions(Files.createDirectory(tmp.resolve("ref-dir")));
        Set<PosixFilePermission> fileMode = Files.getPosixFilePermissions(Files.createFile(tmp.resolve("ref-file")));
        Path ckpt = dir.resolve("step-00000001");
        assertEquals(dirMode, Files.getPosixFilePermissions(ckpt), "checkpoint folder");
        for (String f : List.of("model.safetensors", "optimizer.safetensors", "trainer.json")) {
            assertEquals(fileMode, Files.getPosixFilePermissions(ckpt.resolve(f)), f);
        }
    }

    @Test
    void theTemporaryFoldersOfKilledWritersAreRemovedAndNothingElse() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("stale"));
        Path older = Files.createDirectory(dir.resolve(".tmp-step-7-1x2y"));          // clip4j before AtomicFile
        Path atomic = Files.createDirectory(dir.resolve(".step-00000007.k3x9q.tmp")); // AtomicFile.writeFolder's
        Files.writeString(atomic.resolve("model.safetensors"), "partial");
        Path mine = Files.writeString(dir.resolve(".notes"), "not a checkpoint");
        run(base(dir).steps(1));
        assertFalse(Files.exists(older));
        assertFalse(Files.exists(atomic));
        assertEquals("not a checkpoint", Files.readString(mine));
        assertEquals(List.of(1L), steps(dir));
    }

    static void flip(Path file, int bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long start = f.length() - 4096;
            for (int i = 0; i < bytes; i++) {
                f.seek(start + i);
                int b = f.read();
                f.seek(start + i);
                f.write(b ^ 0xff);
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var s = Files.list(from)) {
            for (Path p : s.toList()) Files.copy(p, to.resolve(p.getFileName()));
        }
    }
}
