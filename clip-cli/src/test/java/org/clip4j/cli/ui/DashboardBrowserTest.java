package org.clip4j.cli.ui;

import org.clip4j.cli.ClipCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The dashboard in a real headless Chromium (skipped without Debian's chromium and chromium-driver), and a run
 * with {@code --ui} that a client never reading its event stream cannot hold up. The CLI runs in child JVMs:
 * {@code clip ui} serves until it is stopped, and a training run is stopped once the page has been checked.
 */
class DashboardBrowserTest {
    @TempDir
    Path tmp;

    private static final String TINY = "{\"embed_dim\":16,\"quick_gelu\":true,"
            + "\"vision_cfg\":{\"image_size\":32,\"layers\":1,\"width\":32,\"patch_size\":8,\"head_width\":16},"
            + "\"text_cfg\":{\"context_length\":16,\"vocab_size\":49408,\"width\":32,\"heads\":2,\"layers\":1}}";
    private static final Pattern URL = Pattern.compile("dashboard: (http://\\S+/)");
    private static final long TIMEOUT_S = 300;

    private Process clip(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), ClipCommand.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private Process train(Path dir, long steps, String... extra) throws IOException {
        Path cfg = tmp.resolve("tiny.json");
        Files.writeString(cfg, TINY);
        List<String> a = new ArrayList<>(List.of("train", "--model", cfg.toString(), "--data", "synthetic:100000",
                "--batch-size", "8", "--steps", Long.toString(steps), "--lr", "1e-3", "--seed", "5", "--data-threads", "1",
                "--checkpoint-dir", dir.toString(), "--checkpoint-every", "5", "--keep-last", "2", "--ui", "--ui-port", "0"));
        a.addAll(List.of(extra));
        return clip(tmp.resolve(dir.getFileName() + ".log"), a.toArray(String[]::new));
    }

    private static void await(String what, BooleanSupplier done, Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("timed out waiting for " + what + "; log:\n" + read(log));
            if (p != null && !p.isAlive() && !done.getAsBoolean()) fail("the command ended before " + what + "; log:\n" + read(log));
            Thread.sleep(200);
        }
    }

    private static String read(Path f) {
        try {
            return Files.isRegularFile(f) ? Files.readString(f) : "";
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static URI url(Process p, Path log) throws Exception {
        await("the dashboard's address", () -> URL.matcher(read(log)).find(), p, log);
        Matcher m = URL.matcher(read(log));
        assertTrue(m.find());
        return URI.create(m.group(1));
    }

    private static long lossLines(Path dir) {
        return read(dir.resolve("metrics.jsonl")).lines().filter(l -> l.contains("\"loss\"")).count();
    }

    /** The loss panel's data-points: run name → points drawn. */
    @SuppressWarnings("unchecked")
    private static Map<String, Long> points(ChromeDriver d, String panel) {
        Object o = d.executeScript("return JSON.parse(document.getElementById(arguments[0]).dataset.points)", panel);
        return (Map<String, Long>) o;
    }

    private static long total(ChromeDriver d) {
        return points(d, "panel-loss").values().stream().mapToLong(Long::longValue).sum();
    }

    @Test
    void trainingWithUiShowsTheStepsSoFarAndNewOnesWithoutReload() throws Exception {
        Path dir = tmp.resolve("live"), log = tmp.resolve("live.log");
        Process p = train(dir, 100_000);
        try {
            URI u = url(p, log);
            await("three steps", () -> lossLines(dir) >= 3, p, log);
            ChromeDriver d = HeadlessChrome.start();
            try {
                long before = lossLines(dir);
                d.get(u.toString());
                d.executeScript("window.notReloaded = 42");
                await("the loss chart to show the " + before + " steps so far", () -> total(d) >= before, p, log);
                long shown = total(d);
                // the uPlot legend names the run's series; the run list shows its step
                String legend = d.findElement(By.cssSelector("#panel-loss .u-legend")).getText();
                assertTrue(legend.contains("live loss") && legend.contains("live loss (EMA)"), legend);
                await("new steps on the page", () -> total(d) >= shown + 3, p, log);
                assertEquals(42L, d.executeScript("return window.notReloaded"), "the page was reloaded");
                assertTrue(total(d) <= lossLines(dir), "the page shows no step that is not in metrics.jsonl");
                WebElement row = d.findElement(By.cssSelector("#runs .run[data-run='live']"));
                assertTrue(row.getText().matches("(?s).*step \\d+ / 100000 · loss [0-9.]+.*"), row.getText());
                // with the first checkpoint the provenance appears
                await("the config", () -> d.findElement(By.id("config-body")).getText().contains("global_batch"), p, log);
                String shot = System.getProperty("clip4j.dashboardScreenshot");
                if (shot != null) Files.write(Path.of(shot), d.getScreenshotAs(OutputType.BYTES));
            } finally {
                d.quit();
            }
        } finally {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void clipUiOverlaysTwoFinishedRunsAndFollowsGrowth() throws Exception {
        Path a = tmp.resolve("alpha"), b = tmp.resolve("beta");
        Files.createDirectories(a);
        Files.createDirectories(b);
        StringBuilder ma = new StringBuilder(), mb = new StringBuilder();
        for (int s = 1; s <= 30; s++) {
            ma.append(String.format(java.util.Locale.ROOT, "{\"step\":%d,\"loss\":%.4f,\"lr\":0.001,\"logit_scale\":14.3,"
                    + "\"samples_per_s\":90.0,\"data_wait_s\":0.01,\"total_steps\":30,\"time\":%d,\"heap_mib\":100,\"rss_mib\":500}%n",
                    s, 4.0 - 0.1 * s, 1_700_000_000 + s));
            if (s % 10 == 0) {
                ma.append(String.format(java.util.Locale.ROOT, "{\"step\":%d,\"image_to_text_R@1\":0.1,\"image_to_text_R@5\":0.3,"
                        + "\"image_to_text_R@10\":0.5,\"text_to_image_R@1\":0.1,\"text_to_image_R@5\":0.3,"
                        + "\"text_to_image_R@10\":0.5,\"val_loss\":%.2f}%n", s, 4.2 - 0.1 * s));
            }
        }
        for (int s = 1; s <= 20; s++) mb.append("{\"step\":" + s + ",\"loss\":" + (3.0 - 0.05 * s) + ",\"lr\":0.002}\n");
        mb.append("{\"step\":21,\"loss\":2.");  // a line being written
        Files.writeString(a.resolve("metrics.jsonl"), ma);
        Files.writeString(b.resolve("metrics.jsonl"), mb);
        Path log = tmp.resolve("ui.log");
        Process p = clip(log, "ui", "--ui-port", "0", a.toString(), b.toString());
        try {
            URI u = url(p, log);
            ChromeDriver d = HeadlessChrome.start();
            try {
                d.get(u.toString());
                await("both runs", () -> points(d, "panel-loss").equals(Map.of("alpha", 30L, "beta", 20L)), p, log);
                assertEquals(Map.of("alpha", 3L, "beta", 0L), points(d, "panel-recall"));
                assertTrue(d.findElement(By.id("panel-recall")).isDisplayed(), "recall is shown once a run has it");
                assertFalse(d.findElement(By.id("panel-zeroshot")).isDisplayed(), "no zero-shot results: no panel");
                String legend = d.findElement(By.cssSelector("#panel-loss .u-legend")).getText();
                assertTrue(legend.contains("alpha loss") && legend.contains("beta loss") && legend.contains("alpha val loss"), legend);
                String alphaRow = d.findElement(By.cssSelector("#runs .run[data-run='alpha']")).getText();
                assertTrue(alphaRow.contains("step 30 / 30 · loss 1 · finished"), alphaRow);

                // the line being written is completed, and a step appended: both appear without reload
                d.executeScript("window.notReloaded = 7");
                Files.writeString(b.resolve("metrics.jsonl"), "75}\n{\"step\":22,\"loss\":1.9}\n", StandardOpenOption.APPEND);
                Files.writeString(a.resolve("metrics.jsonl"), "{\"step\":30,\"zeroshot_top1\":0.9,\"zeroshot_heldout_top1\":0.5}\n",
                        StandardOpenOption.APPEND);
                await("beta's new steps", () -> points(d, "panel-loss").get("beta") == 22L, p, log);
                await("alpha's zero-shot accuracy", () -> d.findElement(By.id("panel-zeroshot")).isDisplayed(), p, log);
                assertEquals(Map.of("alpha", 1L, "beta", 0L), points(d, "panel-zeroshot"));
                assertEquals(7L, d.executeScript("return window.notReloaded"));

                // unticking a run removes its series
                d.findElement(By.cssSelector("#runs .run[data-run='beta'] input")).click();
                await("beta hidden", () -> !d.findElement(By.cssSelector("#panel-loss .u-legend")).getText().contains("beta"), p, log);
                assertTrue(d.findElement(By.cssSelector("#panel-loss .u-legend")).getText().contains("alpha loss"));
            } finally {
                d.quit();
            }
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Where server-sent events cannot get through (a buffering proxy), the page polls {@code /api/state}
     * instead: forced here with {@code ?transport=poll}, it shows the records and follows growth without reload.
     */
    @Test
    void pollingShowsTheRunAndFollowsGrowthWithoutTheEventStream() throws Exception {
        Path a = tmp.resolve("gamma");
        Files.createDirectories(a);
        StringBuilder m = new StringBuilder();
        for (int s = 1; s <= 12; s++) m.append("{\"step\":" + s + ",\"loss\":" + (3.0 - 0.1 * s) + ",\"lr\":0.002}\n");
        Files.writeString(a.resolve("metrics.jsonl"), m);
        Path log = tmp.resolve("ui-poll.log");
        Process p = clip(log, "ui", "--ui-port", "0", a.toString());
        try {
            URI u = url(p, log);
            ChromeDriver d = HeadlessChrome.start();
            try {
                d.get(u + "?transport=poll");
                await("the run by polling", () -> Map.of("gamma", 12L).equals(points(d, "panel-loss")), p, log);
                assertEquals("polling", d.findElement(By.id("conn")).getText());
                d.executeScript("window.notReloaded = 3");
                Files.writeString(a.resolve("metrics.jsonl"), "{\"step\":13,\"loss\":1.6}\n{\"step\":14,\"loss\":1.5}\n",
                        StandardOpenOption.APPEND);
                await("two more steps", () -> points(d, "panel-loss").get("gamma") == 14L, p, log);
                assertEquals(3L, d.executeScript("return window.notReloaded"));
            } finally {
                d.quit();
            }
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * The trainer never waits for the dashboard: with a client that opens the event stream and never reads it,
     * the run takes all its steps and ends (closing the server does not wait for that client either).
     */
    @Test
    void aClientThatNeverReadsDoesNotHoldUpTraining() throws Exception {
        Path dir = tmp.resolve("stuck"), log = tmp.resolve("stuck.log");
        Process p = train(dir, 40);
        try (Socket stuck = new Socket()) {
            URI u = url(p, log);
            stuck.setReceiveBufferSize(1024);
            stuck.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), u.getPort()));
            OutputStream out = stuck.getOutputStream();
            out.write("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertTrue(p.waitFor(TIMEOUT_S, TimeUnit.SECONDS), "training did not end; log:\n" + read(log));
            assertEquals(0, p.exitValue(), read(log));
            assertEquals(40, lossLines(dir));
            // a synthetic run ends with its zero-shot accuracies, which the dashboard draws
            List<String> lines = Files.readAllLines(dir.resolve("metrics.jsonl"));
            com.fasterxml.jackson.databind.JsonNode first = new com.fasterxml.jackson.databind.ObjectMapper().readTree(lines.get(0));
            assertEquals(40, first.get("total_steps").asLong());
            assertTrue(first.get("heap_mib").asDouble() > 0 && first.get("rss_mib").asDouble() > first.get("heap_mib").asDouble() / 4,
                    "memory in MiB: " + first);
            String last = lines.get(lines.size() - 1);
            assertTrue(last.matches("\\{\"step\":40,\"zeroshot_top1\":[01]\\.[0-9E-]+,\"zeroshot_heldout_top1\":[01]\\.[0-9E-]+}"), last);
            assertTrue(read(log).contains("dashboard stopped; to see the run again: clip ui " + dir), read(log));
        } finally {
            p.destroyForcibly();
        }
    }
}
