package org.clip4j.examples.bench;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.encoders.ClipModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;

/**
 * Resident memory over repeated training steps ({@code ClipModel.forwardBackward} on fixed random inputs): prints
 * RSS, Java heap used/committed and non-heap committed every {@code EVERY} steps, then RSS after a full GC. Run it
 * with a fixed, pre-touched heap ({@code -Xms = -Xmx, -XX:+AlwaysPreTouch}) to separate native growth from the
 * Java heap's first touch of its pages.
 *
 * <pre>
 * java -Xms256m -Xmx256m -XX:+AlwaysPreTouch ... MemoryDrift CONFIG BATCH STEPS EVERY
 * </pre>
 */
public final class MemoryDrift {
    public static void main(String[] args) throws Exception {
        String config = args.length > 0 ? args[0] : "clip4j-tiny";
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 300;
        int every = args.length > 3 ? Integer.parseInt(args[3]) : 30;
        ClipConfig c = ClipConfig.builtin(config);
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        try (ClipModel m = ClipModel.create(c, 0)) {
            int r = c.vision().imageSize();
            INDArray x = Nd4j.randn(DataType.FLOAT, batch, 3, r, r);         // [n, 3, R, R]
            long[][] ids = new long[batch][c.text().contextLength()];        // [n, C]: SOT "a" EOT, pad 0
            for (long[] t : ids) {
                t[0] = 49406;
                t[1] = 320;
                t[2] = 49407;
            }
            INDArray tokens = Nd4j.createFromArray(ids);
            for (int s = 0; s <= steps; s++) {
                if (s % every == 0) {
                    MemoryUsage h = mem.getHeapMemoryUsage(), nh = mem.getNonHeapMemoryUsage();
                    System.out.printf("step %d rss %d MB heap used %d MB committed %d MB non-heap committed %d MB%n", s,
                            ModelBenchmark.rssKb("VmRSS") / 1024, h.getUsed() >> 20, h.getCommitted() >> 20, nh.getCommitted() >> 20);
                }
                if (s == steps) break;
                m.zeroGrad();
                m.forwardBackward(x, tokens);
            }
            System.gc();
            Thread.sleep(500);
            System.gc();
            System.out.printf("after GC rss %d MB%n", ModelBenchmark.rssKb("VmRSS") / 1024);
            x.close();
            tokens.close();
        }
    }

    private MemoryDrift() {
    }
}
