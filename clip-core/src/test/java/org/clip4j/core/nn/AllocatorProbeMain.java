package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child-process probe for {@link NativeAllocatorTest}: the allocation pattern of a Linear layer of ViT-B/32 at
 * batch 8 (a fresh [400, 3072] float output per call, 4.9 MB, written by gemm and closed), repeated, and the
 * growth of resident memory over the measured calls. Usage: {@code AllocatorProbeMain <warmup> <calls>}.
 * Prints {@code ALLOCATOR <applied>} and {@code GROWTH <bytes>}.
 */
public final class AllocatorProbeMain {
    private AllocatorProbeMain() {
    }

    public static void main(String[] args) throws IOException {
        int warmup = Integer.parseInt(args[0]), calls = Integer.parseInt(args[1]);
        Linear fc = new Linear("fc", 768, 3072, true); // a Module: applies NativeAllocator as the model would
        System.out.println("ALLOCATOR " + NativeAllocator.ensureConfigured());
        fc.weight().set(Nd4j.rand(DataType.FLOAT, 3072, 768));
        fc.bias().set(Nd4j.zeros(DataType.FLOAT, 3072));
        INDArray x = Nd4j.rand(DataType.FLOAT, 8, 50, 768); // [B, T, W]
        for (int i = 0; i < warmup; i++) fc.forward(x, null).close();
        long before = rssBytes();
        for (int i = 0; i < calls; i++) fc.forward(x, null).close(); // [8, 50, 3072] each
        System.out.println("GROWTH " + (rssBytes() - before));
    }

    /** VmRSS of this process. */
    static long rssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
        }
        throw new IOException("no VmRSS in /proc/self/status");
    }
}
