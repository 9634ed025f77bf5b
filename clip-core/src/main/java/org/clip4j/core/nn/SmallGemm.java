package org.clip4j.core.nn;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

/**
 * Batched products of many small matrices — the attention's per-head scores and contexts, [B, H, T, hd] by
 * [B, H, T, hd] or [B, H, T, T] — as one OpenBLAS {@code cblas_sgemm} per matrix straight on the native buffers,
 * the batch split over the cores. libnd4j's batched {@code matmul} ran these at 20–47 GFLOP/s on 2 cores (ViT-B/32's
 * 50×50×64 and the text tower's 77×77×64 heads; the big products of the same model run at 200); this path at
 * 75–84 (docs/performance.md, "Attention products").
 *
 * <p>Each call is kept below OpenBLAS's own threading threshold (m·n·k &lt; 65,536 × 4, its default
 * {@code GEMM_MULTITHREAD_THRESHOLD}) by splitting a product's rows, so every {@code cblas_sgemm} runs on the
 * calling thread and the cores are used by splitting the batch here, not inside OpenBLAS. Row blocks of a
 * product are independent (each output row is its own dot products), so the split changes no value.
 *
 * <p>CPU backend and float32 only (the arrays' native buffers are host memory there); C-contiguous operands and
 * result (views into a larger array, such as one of q, k, v in a [3, B, H, T, hd] buffer, are fine). On anything
 * else, for heads too large to gain from it (more than 16 row blocks), or if OpenBLAS's Java binding cannot be
 * loaded, {@link #batched} returns false and the caller uses ND4J ({@link Precision#matmul} does both).
 */
public final class SmallGemm {
    private static final Logger LOG = LoggerFactory.getLogger(SmallGemm.class);
    /** OpenBLAS runs a product on the calling thread below m·n·k = SMP_THRESHOLD_MIN (65,536) × 4. */
    private static final long SINGLE_THREAD_WORK = 65_536L * 4;
    /**
     * Products needing more row blocks than this go to ND4J. Measured on 2 cores (AVX-512 EPYC), per head against
     * libnd4j's batched matmul: 197×197×64 (10 blocks) 7.1 vs 9.6 ms, 257×257×64 (17) 9.9 vs 10.2 ms, 577×577×64
     * (83) 39.5 vs 20.8 ms.
     */
    private static final int MAX_BLOCKS = 16;
    private static volatile boolean available = true;

    private SmallGemm() {
    }

    /**
     * {@code c[i] = op(a[i]) · op(b[i])} for every matrix i of the leading dimensions (op = transpose if asked);
     * a, b, c of the same rank ≥ 3 and the same leading dimensions. Returns false, having written nothing, where
     * this path does not apply.
     */
    public static boolean batched(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB) {
        if (!available || !Kernels.applies(a, b, c) || a.rank() < 3 || a.rank() != b.rank() || a.rank() != c.rank()) {
            return false;
        }
        int r = a.rank();
        long count = 1;
        for (int d = 0; d < r - 2; d++) {
            if (a.size(d) != b.size(d) || a.size(d) != c.size(d)) return false;
            count *= a.size(d);
        }
        long ar = a.size(r - 2), ac = a.size(r - 1), br = b.size(r - 2), bc = b.size(r - 1);
        long m = transA ? ac : ar, k = transA ? ar : ac, n = transB ? br : bc;
        if ((transB ? bc : br) != k || c.size(r - 2) != m || c.size(r - 1) != n) return false;
        if (count > Integer.MAX_VALUE || m * k > Integer.MAX_VALUE || k * n > Integer.MAX_VALUE
                || m * n > Integer.MAX_VALUE) {
            return false;
        }
        // Rows of op(a) per call: as many as stay on the calling thread in OpenBLAS.
        int rows = (int) Math.max(1, Math.min(m, (SINGLE_THREAD_WORK - 1) / Math.max(1L, n * k)));
        if ((m + rows - 1) / rows > MAX_BLOCKS) return false; // large heads: libnd4j's threaded product is faster
        try {
            run(a, b, c, transA, transB, (int) count, (int) m, (int) n, (int) k, rows);
            return true;
        } catch (LinkageError e) { // OpenBLAS's JavaCPP binding missing or not loadable: ND4J does it
            available = false;
            LOG.debug("OpenBLAS binding not available, attention products stay on ND4J: {}", e.toString());
            return false;
        }
    }

    private static void run(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, int count, int m,
                            int n, int k, int rows) {
        long aBase = address(a), bBase = address(b), cBase = address(c);
        long aSize = (long) m * k, bSize = (long) k * n, cSize = (long) m * n;
        int lda = transA ? m : k, ldb = transB ? k : n;
        Kernels.split(count, (long) count * m * n * k, (from, to) -> {
            FloatPointer pa = at(aBase), pb = at(bBase), pc = at(cBase); // positions count floats
            for (int i = from; i < to; i++) {
                for (int r0 = 0; r0 < m; r0 += rows) {
                    int mr = Math.min(rows, m - r0);
                    // Row r0 of op(a): row r0 of a, or column r0 of a when a is read transposed.
                    pa.position(i * aSize + (transA ? r0 : (long) r0 * k));
                    pb.position(i * bSize);
                    pc.position(i * cSize + (long) r0 * n);
                    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                            mr, n, k, 1f, pa, lda, pb, ldb, 0f, pc, n);
                }
            }
        });
    }

    /** A float pointer at {@code base} (no native memory of its own; the array owns it). */
    private static FloatPointer at(long base) {
        return new FloatPointer(new Pointer() {
            {
                address = base; // Pointer's field (a parameter named "address" would be shadowed by it here)
            }
        });
    }

    /** The address of an array's first element: its buffer's base plus its offset (the convention of Kernels). */
    private static long address(INDArray x) { // float32: 4 bytes an element
        return x.data().address() + 4 * x.offset();
    }
}
