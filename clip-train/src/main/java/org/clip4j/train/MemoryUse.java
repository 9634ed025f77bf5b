package org.clip4j.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's memory as {@code metrics.jsonl} reports it after each step: the Java heap in use, and the
 * resident set size, which also counts ND4J's native buffers (where a CLIP model's weights, activations and
 * optimiser state live, outside the heap).
 */
final class MemoryUse {
    private static final Path STATUS = Path.of("/proc/self/status");

    private MemoryUse() {
    }

    /** Heap in use (allocated minus free), MiB. */
    static double heapMiB() {
        Runtime rt = Runtime.getRuntime();
        return (rt.totalMemory() - rt.freeMemory()) / (1024.0 * 1024.0);
    }

    /**
     * Resident set size in MiB from the {@code VmRSS} line of {@code /proc/self/status} (kB there), or NaN where
     * there is no such file (not Linux) or it cannot be read.
     */
    static double residentMiB() {
        try {
            for (String line : Files.readAllLines(STATUS, StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmRSS:")) { // "VmRSS:    123456 kB"
                    String[] f = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(f[0]) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or an unexpected format: no value rather than a failed step
        }
        return Double.NaN;
    }
}
