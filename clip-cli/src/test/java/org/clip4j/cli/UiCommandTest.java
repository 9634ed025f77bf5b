package org.clip4j.cli;

import org.clip4j.cli.ui.Dashboard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Bad input of {@code clip ui} and {@code clip train --ui}: one clear line, no stack trace. */
class UiCommandTest {
    @TempDir
    Path tmp;

    @Test
    void aMissingFolderIsNamed() {
        Path p = tmp.resolve("nope");
        CliRun r = CliRun.of("ui", p.toString());
        assertEquals(1, r.exit);
        assertEquals("clip: error: " + p + ": no such folder (expected a 'clip train --checkpoint-dir' folder with metrics.jsonl)", r.err());
    }

    @Test
    void aFolderWithoutMetricsIsNotARun() throws Exception {
        Files.writeString(tmp.resolve("notes.txt"), "x");
        CliRun r = CliRun.of("ui", tmp.toString());
        assertEquals(1, r.exit);
        assertEquals("clip: error: " + tmp + ": no metrics.jsonl (expected a 'clip train --checkpoint-dir' folder)", r.err());
    }

    @Test
    void aTakenPortIsNamed() throws Exception {
        Files.writeString(tmp.resolve("metrics.jsonl"), "{\"step\":1,\"loss\":4.0}\n");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            CliRun r = CliRun.of("ui", "--ui-port", Integer.toString(port), tmp.toString());
            assertEquals(1, r.exit);
            assertTrue(r.err().startsWith("clip: error: --ui-port " + port + ": cannot listen on 127.0.0.1:" + port + " ("), r.err());
            assertTrue(r.err().endsWith("is another dashboard running?); choose another port, or 0 for any free one"), r.err());
            assertFalse(r.rawErr().contains("\tat "), "no stack trace");
        }
    }

    @Test
    void trainUiNeedsACheckpointFolder() {
        CliRun r = CliRun.of("train", "--model", "clip4j-tiny", "--data", "synthetic:64", "--steps", "1", "--ui");
        assertEquals(1, r.exit);
        assertEquals("clip: error: --ui needs --checkpoint-dir: the dashboard follows DIR/metrics.jsonl", r.err());
    }

    @Test
    void anOpenHostIsWarnedAbout() throws Exception {
        Files.writeString(tmp.resolve("metrics.jsonl"), "");
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        UiOptions o = new UiOptions();
        new picocli.CommandLine(o).parseArgs("--ui-port", "0"); // --ui-host defaults to 127.0.0.1
        try (Dashboard d = o.start(List.of(tmp), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))) {
            assertEquals("dashboard: " + d.url() + "\n", out.toString(StandardCharsets.UTF_8));
            assertEquals("", err.toString(StandardCharsets.UTF_8), "loopback: no warning");
        }
        out.reset();
        new picocli.CommandLine(o).parseArgs("--ui-port", "0", "--ui-host", "0.0.0.0");
        try (Dashboard d = o.start(List.of(tmp), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))) {
            assertEquals("clip: warning: --ui-host 0.0.0.0: the dashboard is open to other machines, without a password; "
                    + "it shows the run's folders and configuration\n", err.toString(StandardCharsets.UTF_8));
            assertTrue(d.url().toString().startsWith("http://localhost:"), d.url().toString());
        }
    }
}
