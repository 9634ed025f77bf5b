package org.clip4j.train;

import org.clip4j.core.ClipException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 13 item 3, in one JVM: the lock refuses a second holder and names the first; the owner record's stale
 * rule (for file systems without locks). The two-process case is in clip-cli's TrainFaultsProcessTest.
 */
class CheckpointLockTest {
    @TempDir
    Path tmp;

    @Test
    void aSecondHolderIsRefusedUntilTheFirstReleases() {
        Path dir = tmp.resolve("run");
        try (CheckpointLock first = CheckpointLock.acquire(dir)) {
            ClipException e = assertThrows(ClipException.class, () -> CheckpointLock.acquire(dir));
            assertTrue(e.getMessage().contains("is in use by another training run (pid " + ProcessHandle.current().pid() + " on "),
                    e.getMessage());
            assertTrue(first.file().startsWith(dir));
        }
        CheckpointLock.acquire(dir).close(); // released: free again
    }

    @Test
    void withoutFileLocksAStaleOwnerIsTakenOverAndALiveOneRefused() throws IOException, InterruptedException {
        Path dir = Files.createDirectories(tmp.resolve("nfs"));
        String host = CheckpointLock.Owner.hostName();
        // a process that has ended: its pid is free (or reused by something else that is not alive as that pid)
        Process done = new ProcessBuilder("true").start();
        assertTrue(done.waitFor(30, TimeUnit.SECONDS));
        long deadPid = done.pid();
        Files.writeString(dir.resolve(CheckpointLock.FILE_NAME), "pid=" + deadPid + "\nhost=" + host + "\nsince=earlier\n");
        try (CheckpointLock l = CheckpointLock.acquire(dir, false)) {
            assertTrue(Files.readString(l.file()).contains("pid=" + ProcessHandle.current().pid()), "taken over");
        }

        Process alive = new ProcessBuilder("sleep", "60").start();
        try {
            Files.writeString(dir.resolve(CheckpointLock.FILE_NAME), "pid=" + alive.pid() + "\nhost=" + host + "\nsince=now\n");
            ClipException e = assertThrows(ClipException.class, () -> CheckpointLock.acquire(dir, false));
            assertTrue(e.getMessage().contains("pid " + alive.pid()), e.getMessage());
            // another host: cannot tell whether it lives, so it is not taken over either
            Files.writeString(dir.resolve(CheckpointLock.FILE_NAME), "pid=" + deadPid + "\nhost=elsewhere.example\nsince=now\n");
            assertThrows(ClipException.class, () -> CheckpointLock.acquire(dir, false));
        } finally {
            alive.destroyForcibly();
        }
    }
}
