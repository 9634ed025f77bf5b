package org.clip4j.cli.ui;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** How a run folder is followed while the trainer writes it. */
class RunFollowerTest {
    @TempDir
    Path tmp;

    private static void append(Path f, String s) throws Exception {
        Files.writeString(f, s, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Test
    void aLastLineWithoutItsNewlineWaitsUntilItIsComplete() throws Exception {
        Path m = tmp.resolve("metrics.jsonl");
        RunFollower f = new RunFollower(tmp, "run");
        assertFalse(f.poll(), "no file yet: a run that is starting");
        assertEquals(0, f.size());
        append(m, "{\"step\":1,\"loss\":4.1}\n{\"step\":2,\"lo");
        assertTrue(f.poll());
        assertEquals(List.of("{\"step\":1,\"loss\":4.1}"), f.records(0));
        append(m, "ss\":3.9}\n");
        assertTrue(f.poll());
        assertEquals(List.of("{\"step\":2,\"loss\":3.9}"), f.records(1));
        assertFalse(f.poll(), "nothing new");
        assertTrue(f.problems().isEmpty(), f.problems().toString());
    }

    @Test
    void unreadableLinesAreSkippedAndNamedByNumber() throws Exception {
        Path m = tmp.resolve("metrics.jsonl");
        Files.writeString(m, "{\"step\":1,\"loss\":4.1}\nnot json\n\n[1,2]\n{\"step\":5,\"loss\":3.0}\n");
        RunFollower f = new RunFollower(tmp, "run");
        f.poll();
        assertEquals(2, f.size());
        assertEquals(List.of(m + " line 2: not JSON; skipped",
                m + " line 4: expected a JSON object with a \"step\"; skipped"), f.problems());
    }

    @Test
    void aFileStartedAfreshStartsTheRecordsAgain() throws Exception {
        Path m = tmp.resolve("metrics.jsonl");
        Files.writeString(m, "{\"step\":1,\"loss\":4.1}\n{\"step\":2,\"loss\":4.0}\n");
        RunFollower f = new RunFollower(tmp, "run");
        f.poll();
        RunFollower.Slice s = f.since(-1, 0);
        assertEquals(2, s.records().size());
        Files.writeString(m, "{\"step\":1,\"loss\":9}\n"); // clip train without --resume truncates it
        f.poll();
        assertEquals(1, f.generation());
        RunFollower.Slice t = f.since(s.generation(), 2);
        assertEquals(0, t.from(), "a page of the old generation gets everything again");
        assertEquals(List.of("{\"step\":1,\"loss\":9}"), t.records());
    }

    @Test
    void readsTheNewestCheckpointsTrainerJson() throws Exception {
        Files.createDirectories(tmp.resolve("step-00000002"));
        Files.writeString(tmp.resolve("step-00000002/trainer.json"), "{\"step\":2}");
        RunFollower f = new RunFollower(tmp, "run");
        f.poll();
        assertEquals("{\"step\":2}", f.trainerJson());
        Files.createDirectories(tmp.resolve("step-00000010"));
        Files.writeString(tmp.resolve("step-00000010/trainer.json"), "{\"step\":10, \"provenance\": {\"seed\": \"5\"}}");
        assertTrue(f.poll());
        assertEquals("{\"step\":10,\"provenance\":{\"seed\":\"5\"}}", f.trainerJson());
        assertEquals("step-00000010", f.checkpointName());
    }
}
