package org.clip4j.encoders;

import org.clip4j.core.safetensors.SafetensorsFile;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Child-process probe for {@link NativeMemoryTest}: runs training steps of the vit_tiny model at a given batch
 * size and prints the growth of C-allocator bytes in use ({@link NativeHeap}) over the measured steps.
 * Usage: {@code LeakProbeMain <fixtureDir> <batch multiple of 4> <warmup> <steps>}.
 */
public final class LeakProbeMain {
    private LeakProbeMain() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int repeat = Integer.parseInt(args[1]) / 4, warmup = Integer.parseInt(args[2]);
        int steps = Integer.parseInt(args[3]);
        try (ClipModel m = ClipModel.load(dir.resolve("vit_tiny.safetensors"));
             SafetensorsFile e = SafetensorsFile.open(dir.resolve("vit_tiny.expected.safetensors"))) {
            INDArray[] images = new INDArray[repeat], texts = new INDArray[repeat];
            Arrays.fill(images, e.floatArray("image"));
            Arrays.fill(texts, e.array("text"));
            INDArray image = Nd4j.concat(0, images), text = Nd4j.concat(0, texts);
            for (int i = 0; i < warmup; i++) step(m, image, text);
            long before = NativeHeap.inUse();
            for (int i = 0; i < steps; i++) step(m, image, text);
            long after = NativeHeap.inUse();
            System.out.println("GROWTH " + (after - before));
        }
    }

    static void step(ClipModel m, INDArray image, INDArray text) {
        m.zeroGrad();
        m.forwardBackward(image, text);
        m.logits(image, text).close();
    }
}
