package org.clip4j.encoders;

import org.clip4j.core.safetensors.SafetensorsFile;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Child-process probe for {@link RnNativeMemoryTest}: training steps of the rn_tiny model (BatchNorm in eval or
 * train mode) at a given batch size; prints the growth of C-allocator bytes in use over the measured steps.
 * Usage: {@code RnLeakProbeMain <fixtureDir> <batch multiple of 4> <warmup> <steps> <train: true|false>}.
 */
public final class RnLeakProbeMain {
    private RnLeakProbeMain() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int repeat = Integer.parseInt(args[1]) / 4, warmup = Integer.parseInt(args[2]);
        int steps = Integer.parseInt(args[3]);
        try (ClipModel m = ClipModel.load(dir.resolve("rn_tiny.safetensors"));
             SafetensorsFile e = SafetensorsFile.open(dir.resolve("rn_tiny.expected.safetensors"))) {
            m.train(Boolean.parseBoolean(args[4]));
            INDArray[] images = new INDArray[repeat], texts = new INDArray[repeat];
            Arrays.fill(images, e.floatArray("image"));
            Arrays.fill(texts, e.array("text"));
            INDArray image = Nd4j.concat(0, images), text = Nd4j.concat(0, texts);
            for (int i = 0; i < warmup; i++) LeakProbeMain.step(m, image, text);
            long before = NativeHeap.inUse();
            for (int i = 0; i < steps; i++) LeakProbeMain.step(m, image, text);
            long after = NativeHeap.inUse();
            System.out.println("GROWTH " + (after - before));
        }
    }
}
