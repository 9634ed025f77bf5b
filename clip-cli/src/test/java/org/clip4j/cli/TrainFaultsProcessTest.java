package org.clip4j.cli;

import org.clip4j.train.CheckpointLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 13 with real processes and file systems: a second writer against a running (then SIGKILLed) run, a run
 * killed before its first checkpoint, a full disk and a read-only one (small tmpfs mounts; skipped where this
 * user may not mount).
 */
class TrainFaultsProcessTest {
    @TempDir
    Path tmp;

    private List<String> trainArgs(Path dir, String... extra) throws IOException {
        Path cfg = tmp.resolve("tiny.json");
        if (!Files.exists(cfg)) Files.writeString(cfg, TrainCommandTest.TINY);
        List<String> a = new ArrayList<>(List.of("train", "--model", cfg.toString(), "--data", "synthetic:64", "--batch-size", "4",
                "--lr", "1e-3", "--seed", "5", "--data-threads", "1", "--checkpoint-dir", dir.toString()));
        a.addAll(Arrays.asList(extra));
        return a;
    }

    private Process child(Path log, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), ClipCommand.class.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void await(Process p, Path log, BooleanSupplier ready) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (!ready.getAsBoolean() && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(50);
        assertTrue(p.isAlive(), "the child ended early: " + Files.readString(log));
        assertTrue(ready.getAsBoolean(), "the child did not get there in time: " + Files.readString(log));
    }

    private static void kill(Process p) throws InterruptedException {
        p.destroyForcibly(); // SIGKILL on Linux
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    }

    private static int newestStep(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("step-\\d+"))
                    .mapToInt(n -> Integer.parseInt(n.substring(5))).max().orElse(0);
        }
    }

    // item 3 -------------------------------------------------------------------------------------------------

    @Test
    void aSecondWriterIsRefusedWhileTheFirstLivesAndNotAfterItWasKilled() throws Exception {
        Path dir = tmp.resolve("run"), log = tmp.resolve("first.log");
        Process first = child(log, trainArgs(dir, "--steps", "100000", "--checkpoint-every", "1", "--keep-last", "2"));
        try {
            await(first, log, () -> Files.isDirectory(dir.resolve("step-00000001")));
            CliRun second = CliRun.of(trainArgs(dir, "--steps", "3", "--resume", "latest").toArray(String[]::new));
            assertEquals(1, second.exit);
            assertTrue(second.err().contains(dir + " is in use by another training run (pid " + first.pid() + " on "), second.err());
            CliRun fresh = CliRun.of(trainArgs(dir, "--steps", "3", "--overwrite").toArray(String[]::new));
            assertEquals(1, fresh.exit, "not even --overwrite takes a folder in use");
            assertTrue(fresh.err().contains("is in use by another training run"), fresh.err());
            assertTrue(first.isAlive(), "the first run goes on");
        } finally {
            kill(first);
        }
        // the kernel dropped the dead run's lock: its folder resumes at once
        int s = newestStep(dir);
        assertTrue(s >= 1);
        CliRun resumed = CliRun.of(trainArgs(dir, "--steps", Integer.toString(s + 1), "--resume", "latest").toArray(String[]::new));
        assertEquals(0, resumed.exit, resumed.rawErr());
        assertTrue(Files.isDirectory(dir.resolve(String.format("step-%08d", s + 1))));
    }

    // item 7 -------------------------------------------------------------------------------------------------

    @Test
    void aRunKilledBeforeItsFirstCheckpointRestartsFromScratchUnderResumeLatest() throws Exception {
        Path dir = tmp.resolve("early"), log = tmp.resolve("early.log");
        Process p = child(log, trainArgs(dir, "--steps", "100000", "--checkpoint-every", "100000"));
        try {
            await(p, log, () -> {
                try {
                    return Files.isRegularFile(dir.resolve("metrics.jsonl")) && Files.readAllLines(dir.resolve("metrics.jsonl")).size() >= 2;
                } catch (IOException e) {
                    return false;
                }
            });
        } finally {
            kill(p);
        }
        assertEquals(0, newestStep(dir), "no checkpoint before the kill");
        CliRun again = CliRun.of(trainArgs(dir, "--steps", "2", "--resume", "latest").toArray(String[]::new));
        assertEquals(0, again.exit, again.rawErr());
        assertTrue(again.rawErr().contains("holds no checkpoint yet") && again.rawErr().contains("starting from scratch"), again.rawErr());
        assertEquals(2, newestStep(dir));
        // Step lines only: a run on synthetic data ends with a zero-shot line too.
        assertEquals(2, Files.readAllLines(dir.resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"loss\"")).count(),
                "a fresh run's metrics");
    }

    // items 8, 10: full and read-only disks -------------------------------------------------------------------

    /** Mounts a tmpfs of {@code size} on a new folder (skipping the test where that is not allowed). */
    private Path mount(String name, String options) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve(name));
        Process m = new ProcessBuilder("mount", "-t", "tmpfs", "-o", options, "tmpfs", dir.toString())
                .redirectErrorStream(true).start();
        boolean ok = m.waitFor(30, TimeUnit.SECONDS) && m.exitValue() == 0;
        assumeTrue(ok, "cannot mount a tmpfs here (not root?): " + new String(m.getInputStream().readAllBytes()));
        return dir;
    }

    private static void unmount(Path dir) throws Exception {
        Process u = new ProcessBuilder("umount", dir.toString()).redirectErrorStream(true).start();
        assertTrue(u.waitFor(30, TimeUnit.SECONDS) && u.exitValue() == 0, new String(u.getInputStream().readAllBytes()));
    }

    @Test
    void aFullDiskSaysSoAndLeavesNoTemporaryCheckpoint() throws Exception {
        Path disk = mount("full", "size=2m");
        try {
            Path dir = disk.resolve("run"), log = tmp.resolve("full.log");
            Process p = child(log, trainArgs(dir, "--steps", "1"));
            assertTrue(p.waitFor(300, TimeUnit.SECONDS));
            String out = Files.readString(log);
            assertEquals(1, p.exitValue(), out);
            assertTrue(out.contains("clip: error: " + dir + ": cannot write checkpoint step-00000001: no space left on device"), out);
            try (var s = Files.list(dir)) {
                // every hidden entry but the lock file: AtomicFile's .step-N.RANDOM.tmp or any other temporary
                List<String> left = s.map(f -> f.getFileName().toString())
                        .filter(n -> n.startsWith(".") && !n.equals(CheckpointLock.FILE_NAME)).toList();
                assertEquals(List.of(), left, "the temporary checkpoint is removed");
            }
        } finally {
            unmount(disk);
        }
    }

    @Test
    void readOnlyOutputsAreClearAndEvaluationChecksItsOutputFirst() throws Exception {
        Path ro = mount("ro", "size=1m,ro");
        try {
            Path model = WideVocab.write(EmbedCommandTest.VIT, tmp.resolve("m.safetensors"));
            Path texts = Files.writeString(tmp.resolve("t.txt"), "a cat\n");
            CliRun e = CliRun.of("embed", "--model", model.toString(), "--texts-file", texts.toString(), "--out", ro.resolve("e.safetensors").toString());
            assertEquals(1, e.exit);
            assertTrue(e.err().contains(ro.resolve("e.safetensors") + ": cannot write there: read-only file system"), e.err());

            Path csv = Files.writeString(tmp.resolve("c.csv"), "path,caption\n" + FaultsCommandTest.IMG + ",a red square\n");
            CliRun r = CliRun.of("eval", "retrieval", "--model", model.toString(), "--dataset", "csv:" + csv, "--out", ro.resolve("res").toString());
            assertEquals(1, r.exit);
            assertTrue(r.err().contains("--out " + ro.resolve("res") + ": cannot write there: read-only file system"), r.err());
            assertEquals("", r.out(), "refused before evaluating");

            CliRun t = CliRun.of(trainArgs(ro.resolve("run"), "--steps", "1").toArray(String[]::new));
            assertEquals(1, t.exit);
            assertTrue(t.err().contains("read-only file system"), t.err());
            assertFalse(t.err().contains("FileSystemException"), t.err());
        } finally {
            unmount(ro);
        }
    }
}
