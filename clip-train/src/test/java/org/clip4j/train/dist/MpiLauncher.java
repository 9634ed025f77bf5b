package org.clip4j.train.dist;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts {@code mpirun} with child JVMs on this machine, loopback only, oversubscribed (tests: more ranks than
 * cores). Skips the calling test (a JUnit assumption) when {@code mpirun} is not installed.
 */
public final class MpiLauncher {
    private MpiLauncher() {
    }

    /** A finished (or killed) launch. */
    public record Result(int exitCode, String output, double seconds) {
    }

    /** The mpirun executable, or a skipped test. */
    public static Path mpirun() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, "mpirun");
            if (Files.isExecutable(p)) return p;
        }
        Assumptions.assumeTrue(false, "mpirun not installed (apt-get install openmpi-bin libopenmpi-dev)");
        return null;
    }

    /** {@code mpirun -np ranks [options] java -cp (this class path) mainClass args}. */
    public static List<String> command(int ranks, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(mpirun().toString(), "-np", Integer.toString(ranks), "--oversubscribe",
                "--bind-to", "none", "--mca", "btl", "self,tcp", "--mca", "btl_tcp_if_include", "lo",
                "--mca", "oob_tcp_if_include", "lo"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        cmd.addAll(List.of(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(args);
        return cmd;
    }

    /** Runs {@code cmd}, merging output, for at most {@code timeoutSeconds} (then kills it and fails). */
    public static Result run(List<String> cmd, long timeoutSeconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        environment(pb);
        long t0 = System.nanoTime();
        Process p = pb.start();
        StringBuilder out = new StringBuilder();
        Thread reader = new Thread(() -> {
            try {
                out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (java.io.IOException e) {
                out.append("(output lost: ").append(e).append(")");
            }
        });
        reader.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            reader.join(5000);
            throw new AssertionError("timed out after " + timeoutSeconds + " s: " + cmd + "\n" + out);
        }
        reader.join(10_000);
        return new Result(p.exitValue(), out.toString(), (System.nanoTime() - t0) / 1e9);
    }

    /** One thread per rank for ND4J (the ranks share the cores) and Open MPI's permission to run as root. */
    public static void environment(ProcessBuilder pb) {
        pb.environment().put("OMP_NUM_THREADS", "1");
        pb.environment().put("OMPI_ALLOW_RUN_AS_ROOT", "1");
        pb.environment().put("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
        pb.environment().put("OMPI_MCA_rmaps_base_oversubscribe", "1");
    }
}
