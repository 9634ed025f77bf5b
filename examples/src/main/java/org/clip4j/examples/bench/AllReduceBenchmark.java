package org.clip4j.examples.bench;

import org.clip4j.train.dist.MpiCollectives;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.Locale;

/**
 * All-reduce (sum, float32, in place) through clip4j's {@link MpiCollectives}, for comparison with the same loop
 * in C ({@code examples/bench/allreduce_peer.c}). Run under mpirun by {@code examples/bench/run-allreduce-bench.sh}:
 * <pre>{@code mpirun -np 2 java -cp ... org.clip4j.examples.bench.AllReduceBenchmark [REPS] [MB...]}</pre>
 * Rank 0 prints one line per size: megabytes, median seconds, algorithm bandwidth (bytes / time) and bus bandwidth
 * (× 2(R−1)/R, what each rank sends over its link in a ring all-reduce).
 */
public final class AllReduceBenchmark {
    private AllReduceBenchmark() {
    }

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        double[] sizes = args.length > 1 ? Arrays.stream(args, 1, args.length).mapToDouble(Double::parseDouble).toArray()
                : new double[]{1, 4, 16, 64, 256, 400};
        MpiCollectives c = MpiCollectives.init();
        try {
            int r = c.size();
            if (c.rank() == 0) System.out.printf(Locale.ROOT, "clip4j MpiCollectives all-reduce, %d ranks, %d reps (median)%n", r, reps);
            for (double mb : sizes) {
                long n = (long) (mb * 1e6 / 4);
                INDArray a = Nd4j.ones(DataType.FLOAT, n);
                c.allReduceSum(a); // warm-up (connections, pages)
                double[] t = new double[reps];
                for (int i = 0; i < reps; i++) {
                    c.allReduceSum(Nd4j.ones(DataType.FLOAT, 1)); // line the ranks up
                    long t0 = System.nanoTime();
                    c.allReduceSum(a);
                    t[i] = (System.nanoTime() - t0) / 1e9;
                }
                Arrays.sort(t);
                double med = t[reps / 2], bytes = n * 4.0;
                if (c.rank() == 0) {
                    System.out.printf(Locale.ROOT, "%8.1f MB  %9.5f s  algbw %7.3f GB/s  busbw %7.3f GB/s%n", bytes / 1e6, med,
                            bytes / med / 1e9, bytes / med / 1e9 * 2 * (r - 1) / r);
                }
                a.close();
            }
        } catch (RuntimeException e) {
            e.printStackTrace();
            c.abort(1);
        }
        c.close();
    }
}
