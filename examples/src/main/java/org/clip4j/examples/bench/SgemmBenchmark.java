package org.clip4j.examples.bench;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Locale;

/**
 * The machine's single-precision matrix-multiply rate through ND4J: C = A·B for float32 square matrices
 * (2048 × 2048 × 2048 by default) with {@code Nd4j.gemm} into a preallocated C, one warm-up product then the
 * median of REPS timed ones, and one JSON line. The ND4J native build is the one the JVM loads (choose it with
 * {@code -Dorg.bytedeco.javacpp.platform.extension}: "" the plain OpenBLAS build, {@code -onednn-avx2},
 * {@code -onednn-avx512}), so run one JVM per build. {@code examples/bench/sgemm_peer.py} does the same through
 * {@code torch.matmul}; {@code examples/bench/run-all-bench.sh} takes the best of all of them as the limit that
 * every model row is set against.
 *
 * <pre>
 * OMP_NUM_THREADS=2 java -Dorg.bytedeco.javacpp.platform.extension=-onednn-avx2 -cp ... \
 *     org.clip4j.examples.bench.SgemmBenchmark [N] [REPS]      (defaults 2048, 7)
 * </pre>
 * The operands are uniform in [-0.5, 0.5): the speed of a dense product does not depend on the values, and
 * nothing subnormal is produced.
 */
public final class SgemmBenchmark {
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2048;
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        if (n < 1 || reps < 1) {
            System.err.println("SgemmBenchmark: N and REPS must be positive integers, got N=" + n + ", REPS=" + reps);
            System.exit(2);
        }
        Nd4j.getRandom().setSeed(0);
        INDArray a = Nd4j.rand(DataType.FLOAT, n, n).subi(0.5);  // [n, n]
        INDArray b = Nd4j.rand(DataType.FLOAT, n, n).subi(0.5);  // [n, n]
        INDArray c = Nd4j.create(DataType.FLOAT, n, n);          // [n, n], overwritten (beta = 0) by every product
        double seconds = ModelBenchmark.median(reps, () -> Nd4j.gemm(a, b, c, false, false, 1.0, 0.0));
        double flop = 2.0 * n * n * n;                            // n² outputs, n multiply-adds each
        String build = System.getProperty("org.bytedeco.javacpp.platform.extension", "");
        System.out.printf(Locale.ROOT, "{\"impl\": \"clip4j\", \"row\": \"sgemm-%d\", \"native_build\": \"%s\", "
                        + "\"n\": %d, \"reps\": %d, \"seconds\": %.5f, \"gflops\": %.1f, \"threads\": \"%s\"}%n",
                n, build.isEmpty() ? "plain" : build, n, reps, seconds,
                flop / seconds / 1e9, System.getenv().getOrDefault("OMP_NUM_THREADS", "default"));
        a.close();
        b.close();
        c.close();
    }

    private SgemmBenchmark() {
    }
}
