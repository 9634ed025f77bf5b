package org.clip4j.core.nn;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Closed arrays must give their memory back to the system, not just to the C allocator. A child JVM with the
 * Epsilon collector (no collection ever, so nothing that only the GC frees is freed) runs 100 Linear forwards
 * with a 4.9 MB output each ({@link AllocatorProbeMain}); resident memory must not grow by more than a few
 * outputs. Without {@link NativeAllocator} glibc's dynamic mmap threshold moves these buffers into an arena
 * heap where small GC-owned allocations pin the holes they leave, and resident memory grows by one output per
 * call (about 470 MB here).
 *
 * <p>The growth shows with ND4J's oneDNN builds; the plain build reuses the holes. Tests run on the plain build,
 * so when a {@code -onednn-avx512}/{@code -onednn-avx2} jar sits next to the plain nd4j-native jar of the
 * class path (Maven's local repository once {@code clip-cli} has been built, or a downloaded copy) and this CPU
 * supports it, the child runs on it; otherwise on the plain build, where the check is weaker. A second child
 * with the fix switched off ({@code -Dclip4j.mmapThreshold=0}) prints the growth the fix avoids.
 */
class NativeAllocatorTest {
    private static final int CALLS = 100;

    @Test
    void closedBuffersLeaveTheProcess() throws Exception {
        assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "glibc only");
        String ext = oneDnnExtension();
        List<String> cp = new ArrayList<>(List.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)));
        if (ext != null) cp.add(oneDnnJar(ext).toString());
        String classPath = String.join(java.io.File.pathSeparator, cp);
        long without = probe(classPath, ext, "0");
        long with = probe(classPath, ext, Integer.toString(NativeAllocator.DEFAULT_THRESHOLD));
        System.out.printf("  build %s: RSS growth over %d calls of 4.9 MB: %,d B with the pinned threshold, %,d B"
                + " without%n", ext == null ? "plain" : ext, CALLS, with, without);
        // A leak costs 4.9 MB per call (490 MB); allow a few buffers and allocator slack.
        assertTrue(with < (40L << 20), "resident memory grew by " + with + " bytes over " + CALLS
                + " calls: closed buffers are not returned to the system");
    }

    /** Runs the probe in an Epsilon-GC child and returns its GROWTH. */
    private static long probe(String classPath, String ext, String threshold) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:+UnlockExperimentalVMOptions", "-XX:+UseEpsilonGC",
                "-Xmx1g", "-Dclip4j.mmapThreshold=" + threshold));
        if (ext != null) cmd.add("-Dorg.bytedeco.javacpp.platform.extension=" + ext);
        cmd.addAll(List.of("-cp", classPath, AllocatorProbeMain.class.getName(), "5", Integer.toString(CALLS)));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("MALLOC_MMAP_THRESHOLD_");
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "probe timed out");
        for (String line : out.split("\n")) {
            if (line.startsWith("GROWTH ")) return Long.parseLong(line.substring(7).trim());
        }
        throw new AssertionError("probe (exit " + p.exitValue() + ") printed no GROWTH line:\n" + out);
    }

    /** The oneDNN build this CPU runs, if its jar is next to the plain nd4j-native jar; else null. */
    static String oneDnnExtension() throws IOException {
        String flags = Files.readString(Path.of("/proc/cpuinfo"));
        for (String ext : new String[] {"-onednn-avx512", "-onednn-avx2"}) {
            boolean supported = ext.endsWith("avx512") ? flags.contains("avx512bw") : flags.contains(" avx2");
            if (supported && oneDnnJar(ext) != null) return ext;
        }
        return null;
    }

    /** {@code nd4j-native-V-linux-x86_64<ext>.jar} beside the class path's {@code nd4j-native-V-linux-x86_64.jar}. */
    static Path oneDnnJar(String ext) {
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(e);
            String name = p.getFileName() == null ? "" : p.getFileName().toString();
            if (name.startsWith("nd4j-native-") && name.endsWith("-linux-x86_64.jar")) {
                Path candidate = p.resolveSibling(name.replace(".jar", ext + ".jar"));
                if (Files.isRegularFile(candidate)) return candidate;
            }
        }
        return null;
    }
}
