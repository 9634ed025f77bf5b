package org.clip4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.clip4j.encoders.ClipModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** {@code clip train} in child JVMs: a run killed with SIGKILL resumes to the same losses as an uninterrupted one. */
class TrainCommandTest {
    @TempDir
    Path tmp;

    static final String TINY = "{\"embed_dim\":16,\"quick_gelu\":true,"
            + "\"vision_cfg\":{\"image_size\":32,\"layers\":1,\"width\":32,\"patch_size\":8,\"head_width\":16},"
            + "\"text_cfg\":{\"context_length\":16,\"vocab_size\":49408,\"width\":32,\"heads\":2,\"layers\":1}}";

    private Process start(Path cfg, Path dir, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), ClipCommand.class.getName(), "train",
                "--model", cfg.toString(), "--data", "synthetic:64", "--batch-size", "8", "--accum-freq", "2",
                "--steps", "8", "--warmup", "2", "--lr", "1e-3", "--seed", "5", "--data-threads", "1",
                "--checkpoint-dir", dir.toString(), "--checkpoint-every", "2", "--keep-last", "10"));
        cmd.addAll(List.of(extra));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolveSibling(dir.getFileName() + ".log").toFile()).start();
    }

    private static List<Double> losses(Path dir) throws IOException {
        List<Double> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            JsonNode n = json.readTree(line);
            if (n.has("loss")) out.add(n.get("loss").asDouble());
        }
        return out;
    }

    @Test
    void sigkilledRunResumesToTheUninterruptedLosses() throws Exception {
        Path cfg = tmp.resolve("tiny.json");
        Files.writeString(cfg, TINY);
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        Process full = start(cfg, a);
        assertTrue(full.waitFor(300, TimeUnit.SECONDS), "uninterrupted run timed out");
        assertEquals(0, full.exitValue(), Files.readString(tmp.resolve("a.log")));
        List<Double> want = losses(a);
        assertEquals(8, want.size());

        Process killed = start(cfg, b);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (!Files.isDirectory(b.resolve("step-00000004")) && System.nanoTime() < deadline && killed.isAlive()) {
            Thread.sleep(50);
        }
        assertTrue(killed.isAlive(), "the run ended before it could be killed: " + Files.readString(tmp.resolve("b.log")));
        killed.destroyForcibly(); // SIGKILL on Linux
        killed.waitFor(30, TimeUnit.SECONDS);
        assertNotEquals(0, killed.exitValue());

        int killedSteps = losses(b).size();
        int s;
        try (var dirs = Files.list(b)) {
            s = dirs.map(p -> p.getFileName().toString()).filter(n -> n.matches("step-\\d+"))
                    .mapToInt(n -> Integer.parseInt(n.substring(5))).max().orElseThrow();
        }
        assertTrue(s >= 4 && s < 8, "latest checkpoint before resuming: " + s);

        Process resumed = start(cfg, b, "--resume", "latest");
        assertTrue(resumed.waitFor(300, TimeUnit.SECONDS), "resumed run timed out");
        assertEquals(0, resumed.exitValue(), Files.readString(tmp.resolve("b.log")));
        List<Double> got = losses(b);
        // metrics.jsonl: steps 1..k of the killed run, then steps s+1..8 of the resumed one
        assertEquals(killedSteps + (8 - s), got.size());
        assertEquals(want.subList(0, killedSteps), got.subList(0, killedSteps), "losses before the kill");
        assertEquals(want.subList(s, 8), got.subList(killedSteps, got.size()), "losses after resuming");
        try (ClipModel m = ClipModel.load(b.resolve("step-00000008").resolve("model.safetensors"));
             ClipModel n = ClipModel.load(a.resolve("step-00000008").resolve("model.safetensors"))) {
            for (int i = 0; i < m.parameters().size(); i++) {
                assertEquals(n.parameters().get(i).value(), m.parameters().get(i).value(), m.parameters().get(i).name());
            }
        }
    }

    @Test
    void precisionOptionAcceptsOpenClipNamesAndRejectsOthers() throws IOException {
        Path cfg = tmp.resolve("tiny.json");
        Files.writeString(cfg, TINY);
        CliRun bad = CliRun.of("train", "--model", cfg.toString(), "--data", "synthetic:16", "--precision", "fp8");
        assertEquals(1, bad.exit);
        assertTrue(bad.err().contains("--precision 'fp8': expected fp32, bf16 or fp16"), bad.err());
        Path dir = tmp.resolve("bf16");
        CliRun run = CliRun.of("train", "--model", cfg.toString(), "--data", "synthetic:16", "--batch-size", "8",
                "--steps", "2", "--data-threads", "1", "--precision", "amp_bf16", "--checkpoint-dir", dir.toString());
        assertEquals(0, run.exit, run.rawErr());
        JsonNode state = new ObjectMapper().readTree(dir.resolve("step-00000002").resolve("trainer.json").toFile());
        assertTrue(state.path("provenance").path("precision").asText().startsWith("bf16 (mixed"), state.toString());
        assertFalse(state.has("loss_scaler"), "bf16 runs without loss scaling");
    }

    /**
     * An fp16 run's summary counts the steps its loss scaler skipped and gives the scale they left: with the initial
     * scale 2¹⁶ CLIP's order-1 loss gradients overflow fp16 until the scale has come down, so the first steps are
     * skipped; the count must be metrics.jsonl's, and the scale trainer.json's.
     */
    @Test
    void anFp16SummarySaysHowManyStepsOverflowed() throws IOException {
        Path cfg = tmp.resolve("tiny.json");
        Files.writeString(cfg, TINY);
        Path dir = tmp.resolve("fp16");
        CliRun run = CliRun.of("train", "--model", cfg.toString(), "--data", "synthetic:16", "--batch-size", "8",
                "--steps", "3", "--data-threads", "1", "--precision", "amp", "--checkpoint-dir", dir.toString());
        assertEquals(0, run.exit, run.rawErr());
        long overflowed = Files.readAllLines(dir.resolve("metrics.jsonl")).stream()
                .filter(l -> l.contains("\"skipped_step\":true")).count();
        JsonNode state = new ObjectMapper().readTree(dir.resolve("step-00000003").resolve("trainer.json").toFile());
        String summary = run.out().lines().filter(l -> l.startsWith("trained 3 steps")).findFirst().orElseThrow();
        assertTrue(overflowed >= 1, "the first step at scale 2^16 overflows fp16: " + summary);
        String scale = Double.toString(state.path("loss_scaler").path("scale").asDouble());
        assertTrue(summary.contains("; " + overflowed + " of them skipped for a non-finite loss or gradient (no update), "
                + "fp16 loss scale now " + scale), summary + " / " + state);
        CliRun fp32 = CliRun.of("train", "--model", cfg.toString(), "--data", "synthetic:16", "--batch-size", "8",
                "--steps", "1", "--data-threads", "1");
        assertEquals(0, fp32.exit, fp32.rawErr());
        assertFalse(fp32.out().contains("non-finite"), "nothing to say without skipped steps: " + fp32.out());
    }
}
