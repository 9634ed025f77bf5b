package org.clip4j.encoders;

import org.nd4j.linalg.api.ndarray.INDArray;


/**
 * Child-process probe for {@link NativeMemoryTest}: runs training steps of the vit_tiny model at a given batch
 * size and prints the growth of C-allocator bytes in use ({@link NativeHeap}) over the measured steps.
 * Usage: {@code LeakProbeMain <fixtureDir> <batch multiple of 4> <warmup> <steps>}.
 */
public final class LeakProbeMain {
    private LeakProbeMain() {
    }

    public static void main(String[] args) {
        NativeMemory.printGrowth(args, LeakProbeMain::step);
    }

    static void step(ClipModel m, INDArray image, INDArray text) {
        m.zeroGrad();
        m.forwardBackward(image, text);
        m.logits(image, text).close();
    }
}
