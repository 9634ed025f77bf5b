package org.clip4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.clip4j.core.nn.Parameter;
import org.clip4j.encoders.ClipModel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code mpirun -np N clip train} (skipped when Open MPI's {@code mpirun} is not installed): two ranks train the
 * same weights as one process; a rank killed mid-run ends the whole job quickly with a non-zero exit and an
 * intact checkpoint, from which three ranks resume on the single-process loss curve.
 *
 * <p>Tolerances: the ranks add the same terms in another order, so each step's gradient differs by float32
 * rounding (about 1e-6 relative); with SGD the weights then differ by lr × that per step, far below 1e-5 of their
 * norm after a few steps, and the losses (computed from those weights) by about as much relative to the loss.
 */
class MpiTrainCommandTest {
    @TempDir
    Path tmp;

    private static final String TINY = "{\"embed_dim\":16,\"quick_gelu\":true,"
            + "\"vision_cfg\":{\"image_size\":32,\"layers\":1,\"width\":32,\"patch_size\":8,\"head_width\":16},"
            + "\"text_cfg\":{\"context_length\":16,\"vocab_size\":49408,\"width\":32,\"heads\":2,\"layers\":1}}";

    private static Path mpirun() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, "mpirun");
            if (Files.isExecutable(p)) return p;
        }
        Assumptions.assumeTrue(false, "mpirun not installed (apt-get install openmpi-bin libopenmpi-dev)");
        return null;
    }

    /** {@code clip train} on {@code ranks} processes (0: one process without mpirun), output to dir.log. */
    private Process start(int ranks, Path cfg, Path dir, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (ranks > 0) {
            cmd.addAll(List.of(mpirun().toString(), "-np", Integer.toString(ranks), "--oversubscribe", "--bind-to", "none",
                    "--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo"));
        }
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g", "-cp", System.getProperty("java.class.path"), ClipCommand.class.getName(), "train",
                "--model", cfg.toString(), "--data", "synthetic:40", "--batch-size", "12", "--optimizer", "sgd",
                "--lr", "0.5", "--lr-scheduler", "const", "--seed", "5", "--data-threads", "1",
                "--checkpoint-dir", dir.toString(), "--checkpoint-every", "2", "--keep-last", "20"));
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(dir).toFile()));
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("OMPI_ALLOW_RUN_AS_ROOT", "1");
        pb.environment().put("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
        return pb.start();
    }

    private Path log(Path dir) {
        return dir.resolveSibling(dir.getFileName() + ".log");
    }

    private String output(Path dir) throws IOException {
        return Files.isRegularFile(log(dir)) ? Files.readString(log(dir), StandardCharsets.UTF_8) : "(no output)";
    }

    private void finish(Process p, Path dir) throws Exception {
        if (!p.waitFor(600, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail("timed out:\n" + output(dir));
        }
        assertEquals(0, p.exitValue(), output(dir));
    }

    private static List<JsonNode> metrics(Path dir) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            JsonNode n = json.readTree(line);
            if (n.has("loss")) out.add(n);
        }
        return out;
    }

    private static double worstRelative(Path a, Path b) {
        double worst = 0;
        try (ClipModel m = ClipModel.load(a); ClipModel n = ClipModel.load(b)) {
            for (int i = 0; i < m.parameters().size(); i++) {
                Parameter p = m.parameters().get(i), q = n.parameters().get(i);
                double den = q.value().norm2Number().doubleValue();
                double num = p.value().sub(q.value()).norm2Number().doubleValue();
                worst = Math.max(worst, den == 0 ? num : num / den);
            }
        }
        return worst;
    }

    private static Path weights(Path dir, int step) {
        return dir.resolve(String.format("step-%08d", step)).resolve("model.safetensors");
    }

    @Test
    void twoRanksTrainTheWeightsOfOneProcessAndOnlyRankZeroWrites() throws Exception {
        Path cfg = tmp.resolve("tiny.json");
        Files.writeString(cfg, TINY);
        Path one = tmp.resolve("one"), two = tmp.resolve("two");
        finish(start(0, cfg, one, "--steps", "5"), one);
        finish(start(2, cfg, two, "--steps", "5"), two);
        String out = output(two);
        assertTrue(out.contains("world size 2"), out);
        assertTrue(out.contains("per step per rank"), out);
        List<JsonNode> m1 = metrics(one), m2 = metrics(two);
        assertEquals(5, m2.size(), "one metrics line per step (rank 0 only): " + m2);
        for (int i = 0; i < 5; i++) {
            double want = m1.get(i).get("loss").asDouble(), got = m2.get(i).get("loss").asDouble();
            assertEquals(want, got, 1e-5 * want, "loss of step " + (i + 1));
        }
        double worst = worstRelative(weights(two, 5), weights(one, 5));
        assertTrue(worst <= 1e-5, "weights after 5 steps differ by " + worst);
        assertTrue(Files.isRegularFile(two.resolve("loss.png")), "loss curve from rank 0");
        JsonNode state = new ObjectMapper().readTree(two.resolve("step-00000005").resolve("trainer.json").toFile());
        assertEquals(60, state.get("data_position").asLong(), "global stream position after 5 steps of 12");
    }

    @Test
    void aKilledRankEndsTheJobAndThreeRanksResumeFromTheLastCheckpoint() throws Exception {
        Path cfg = tmp.resolve("tiny.json");
        Files.writeString(cfg, TINY);
        Path ref = tmp.resolve("ref"), run = tmp.resolve("run");
        finish(start(0, cfg, ref, "--steps", "8"), ref);
        List<JsonNode> want = metrics(ref);

        Process job = start(2, cfg, run, "--steps", "100000"); // far more than it will run
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
        while (!Files.isDirectory(run.resolve("step-00000004")) && System.nanoTime() < deadline && job.isAlive()) {
            Thread.sleep(50);
        }
        assertTrue(job.isAlive(), "the job ended before a rank could be killed:\n" + output(run));
        ProcessHandle rank1 = job.descendants().filter(h -> environ(h).contains("OMPI_COMM_WORLD_RANK=1\0"))
                .findFirst().orElseThrow(() -> new AssertionError("no process of rank 1 among mpirun's children"));
        long t0 = System.nanoTime();
        assertTrue(rank1.destroyForcibly(), "SIGKILL to rank 1");
        boolean ended = job.waitFor(30, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (!ended) {
            job.descendants().forEach(ProcessHandle::destroyForcibly);
            job.destroyForcibly();
        }
        assertTrue(ended, "the job still ran 30 s after a rank was killed:\n" + output(run));
        assertNotEquals(0, job.exitValue(), "exit code after a rank was killed");
        assertTrue(seconds < 30, "ended after " + seconds + " s");

        // Resume with 3 ranks to step 8 (constant learning rate: the schedule does not depend on the length).
        int s;
        try (var dirs = Files.list(run)) {
            s = dirs.map(p -> p.getFileName().toString()).filter(n -> n.matches("step-\\d+"))
                    .mapToInt(n -> Integer.parseInt(n.substring(5))).max().orElseThrow();
        }
        assertTrue(s >= 4, "latest checkpoint " + s);
        Assumptions.assumeTrue(s < 8, "the killed job got past step 8 before the kill; nothing left to resume");
        int before = metrics(run).size();
        finish(start(3, cfg, run, "--steps", "8", "--resume", "latest"), run);
        List<JsonNode> got = metrics(run);
        assertEquals(before + 8 - s, got.size(), "metrics lines after resuming");
        for (int i = 0; i < 8 - s; i++) {
            JsonNode g = got.get(before + i), w = want.get(s + i);
            assertEquals(w.get("step").asLong(), g.get("step").asLong());
            assertEquals(w.get("loss").asDouble(), g.get("loss").asDouble(), 1e-5 * w.get("loss").asDouble(),
                    "loss of step " + w.get("step") + " after resuming on 3 ranks");
        }
        double worst = worstRelative(weights(run, 8), weights(ref, 8));
        assertTrue(worst <= 1e-5, "weights at step 8 differ by " + worst);
    }

    private static String environ(ProcessHandle h) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(h.pid()), "environ"), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }
}
