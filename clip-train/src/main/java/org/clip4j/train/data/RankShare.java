package org.clip4j.train.data;

/**
 * Which part of the global sample stream a rank of a data-parallel run reads. The global stream (one permutation
 * per epoch from the shared seed, see {@link BatchLoader}) is cut into blocks of {@code block} consecutive
 * positions starting at {@code base}; rank r of R reads blocks r, r+R, r+2R, …. With {@code block} the
 * micro-batch, micro-batch k of rank r of a global batch is block {@code k·R + r} of that batch: the ranks read
 * disjoint parts and together exactly the positions a single process would read, in the same micro-batches.
 *
 * <p>The rank's own stream is numbered by a local position q = 0, 1, 2, … ; {@link #global} maps it to the global
 * stream position. A single process is {@code RankShare.single()}: local = global.
 *
 * @param base  global position of local position 0
 * @param block positions per block (the micro-batch)
 * @param rank  this rank
 * @param ranks number of ranks
 */
public record RankShare(long base, int block, int rank, int ranks) {
    public RankShare {
        if (ranks < 1 || rank < 0 || rank >= ranks) throw new IllegalArgumentException("rank " + rank + " of " + ranks);
        if (block < 1) throw new IllegalArgumentException("block " + block + ": expected >= 1");
        if (base < 0) throw new IllegalArgumentException("base position " + base + ": expected >= 0");
    }

    /** The whole stream from position 0 (one process). */
    public static RankShare single() {
        return new RankShare(0, 1, 0, 1);
    }

    /** The global stream position of local position {@code q}. */
    public long global(long q) {
        if (ranks == 1) return base + q;
        return base + (q / block) * block * (long) ranks + (long) rank * block + q % block;
    }

    /**
     * The global position from which a run may continue once every rank has read its local positions below
     * {@code maxLocal} (the maximum over ranks): the start of the first block row none of them has touched. With no
     * skipped samples this is {@code base + R·maxLocal}; otherwise the untouched remainder of the last row is
     * passed over, never read twice.
     */
    public long globalResumePosition(long maxLocal) {
        if (ranks == 1) return base + maxLocal;
        long rows = (maxLocal + block - 1) / block;
        return base + rows * block * (long) ranks;
    }
}
