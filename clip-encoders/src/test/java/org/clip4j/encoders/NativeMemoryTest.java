package org.clip4j.encoders;

import org.clip4j.core.safetensors.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Repeated forward+backward must not grow native memory. Measured with the C allocator's in-use bytes
 * ({@link NativeHeap}), where ND4J's CPU backend keeps its buffers (the Java heap is not included).
 *
 * <ul>
 *   <li><b>Nothing retained:</b> 30 steps in this JVM, native bytes compared after a full collection at both
 *       ends: frames, caches or gradients kept across steps would show up.</li>
 *   <li><b>Nothing left to the collector:</b> 30 steps at batch 32 in a child JVM with the Epsilon collector
 *       (no collection ever). ND4J leaves small per-op buffers (shape descriptors of views, reduction scalars)
 *       to the collector, about 1.3 MB per step here whatever the batch, but the activations of one step are
 *       more than 8 MB: leaving them (or a temporary per layer) to the GC exceeds the bound.</li>
 * </ul>
 */
class NativeMemoryTest {
    private static final int STEPS = 30;

    @Test
    void nothingRetainedAcrossSteps() throws Exception {
        try (ClipModel m = ClipModel.load(Fixtures.dir().resolve("vit_tiny.safetensors"));
             SafetensorsFile e = SafetensorsFile.open(Fixtures.dir().resolve("vit_tiny.expected.safetensors"))) {
            INDArray[] images = new INDArray[4], texts = new INDArray[4];
            Arrays.fill(images, e.floatArray("image"));
            Arrays.fill(texts, e.array("text"));
            INDArray image = Nd4j.concat(0, images), text = Nd4j.concat(0, texts); // batch 16
            for (int i = 0; i < 3; i++) LeakProbeMain.step(m, image, text);
            long before = NativeMemory.settled();
            for (int i = 0; i < STEPS; i++) LeakProbeMain.step(m, image, text);
            long after = NativeMemory.settled();
            System.out.printf("  retained native growth over %d steps: %+,d B%n", STEPS, after - before);
            // Retaining one step's activations (about 4 MB at batch 16) would add over 100 MB.
            assertTrue(after - before < (24 << 20), "native memory retained across steps: " + (after - before));
        }
    }

    @Test
    void nothingLeftToTheGarbageCollector() throws Exception {
        long growth = NativeMemory.childGrowth(LeakProbeMain.class, Fixtures.dir().toString(), "32", "3",
                Integer.toString(STEPS));
        long perStep = growth / STEPS;
        System.out.printf("  no-GC native growth at batch 32: %+,d B per step%n", perStep);
        assertTrue(perStep < (5 << 19), "without garbage collection native memory grows by " + perStep
                + " bytes per step at batch 32: activations or temporaries are not closed");
    }
}
