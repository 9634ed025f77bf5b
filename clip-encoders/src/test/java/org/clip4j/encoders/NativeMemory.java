package org.clip4j.encoders;

import org.clip4j.core.nn.Tensors;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The two measurements of the native-memory tests: settled in-use bytes here, and growth in a no-GC child JVM. */
final class NativeMemory {
    private NativeMemory() {
    }

    /** Native bytes in use once collections and ND4J's deallocator threads stop changing the figure. */
    static long settled() throws InterruptedException {
        long last = Long.MAX_VALUE;
        for (int i = 0; i < 20; i++) {
            System.gc();
            Thread.sleep(200);
            long now = NativeHeap.inUse();
            if (Math.abs(now - last) < (256 << 10)) return now;
            last = now;
        }
        return last;
    }

    /**
     * Runs {@code probe} (a main printing {@code GROWTH <bytes>}) in a child JVM with the Epsilon collector, so
     * that nothing is ever collected, on one OpenMP thread and without the buffer pool; returns the bytes it printed.
     */
    static long childGrowth(Class<?> probe, String... args) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // The buffer pool is off in the child: its idle buffers (acquired in whichever step first needs one more)
        // would blur the figure, which is about arrays never released. The in-JVM test runs with the pool on.
        // C1 only (TieredStopAtLevel=1): C2's compiler arenas are malloc'd and freed while the probe measures, which
        // moved the figure by ±0.5 MB per step from run to run; with C1 alone the same probe prints the same bytes
        // every run (rn_tiny: 993 / 1,008 KB per step at batch 4 / 16, three runs each, as with -Xint).
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:+UnlockExperimentalVMOptions", "-XX:+UseEpsilonGC",
                "-XX:TieredStopAtLevel=1", "-Xmx3g", "-Dclip4j.bufferPool=0", "-cp",
                System.getProperty("java.class.path"), probe.getName()));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "probe timed out");
        for (String line : out.split("\n")) {
            if (line.startsWith("GROWTH ")) return Long.parseLong(line.substring(7).trim());
        }
        throw new AssertionError("probe (exit " + p.exitValue() + ") printed no GROWTH line:\n" + out
                + "\ncommand: " + cmd);
    }

    /** One measured step of a growth probe: a forward/backward (or a throwing forward) of the model. */
    interface Step {
        void run(ClipModel m, INDArray image, INDArray text);
    }

    /**
     * The main of a growth probe ({@code <fixtureDir> <batch multiple of 4> <warmup> <steps>}): the vit_tiny
     * fixture's inputs repeated to the batch, {@code warmup} steps, then prints {@code GROWTH <bytes>} of
     * C-allocator bytes in use ({@link NativeHeap}) over the measured steps.
     */
    static void printGrowth(String[] args, Step step) {
        Path dir = Path.of(args[0]);
        int repeat = Integer.parseInt(args[1]) / 4, warmup = Integer.parseInt(args[2]);
        int steps = Integer.parseInt(args[3]);
        try (ClipModel m = ClipModel.load(dir.resolve("vit_tiny.safetensors"));
             SafetensorsFile e = SafetensorsFile.open(dir.resolve("vit_tiny.expected.safetensors"))) {
            INDArray[] images = new INDArray[repeat], texts = new INDArray[repeat];
            Arrays.fill(images, e.floatArray("image"));
            Arrays.fill(texts, e.array("text"));
            INDArray image = Nd4j.concat(0, images), text = Nd4j.concat(0, texts);
            for (int i = 0; i < warmup; i++) step.run(m, image, text);
            long before = NativeHeap.inUse();
            for (int i = 0; i < steps; i++) step.run(m, image, text);
            long after = NativeHeap.inUse();
            System.out.println("GROWTH " + (after - before));
            Tensors.release(image, text);
        }
    }
}
