package org.clip4j.train.data;

import java.util.SplittableRandom;

/**
 * The source index at each stream position for a {@link Sampling} mode: position p lies in epoch {@code p / N} at
 * offset {@code p % N}; the epoch's order (a permutation, or N draws with replacement) comes from a generator
 * seeded by (seed, epoch). Keeps the current epoch's order, so it is meant for one thread (the loader's assembler).
 */
final class SampleOrder {
    /** Mixes the permutation's seed (kept as before this class existed, so earlier runs resume unchanged). */
    private static final long PERMUTATION_STRIDE = 1_000_003L;
    /** Decorrelates the resampling draws from the permutation of the same (seed, epoch). */
    private static final long RESAMPLE_SALT = 0x5DEECE66DL;

    private final Sampling mode;
    private final long size;
    private final long seed;
    private long cachedEpoch = -1;
    private long[] cached;

    SampleOrder(Sampling mode, long size, long seed) {
        if (size < 1) throw new IllegalArgumentException("source size " + size + ": expected >= 1");
        this.mode = mode;
        this.size = size;
        this.seed = seed;
    }

    /** The source index at stream position {@code p >= 0}. */
    long indexAt(long p) {
        if (mode == Sampling.SEQUENTIAL) return p % size;
        long epoch = p / size;
        if (epoch != cachedEpoch) {
            cached = mode == Sampling.PERMUTATION ? permutation(size, seed, epoch) : draws(size, seed, epoch);
            cachedEpoch = epoch;
        }
        return cached[(int) (p % size)];
    }

    /** Fisher–Yates permutation of [0, size) drawn from (seed, epoch). */
    static long[] permutation(long size, long seed, long epoch) {
        long[] perm = new long[Math.toIntExact(size)];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        SplittableRandom r = new SplittableRandom(seed * PERMUTATION_STRIDE + epoch);
        for (int i = perm.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            long t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return perm;
    }

    /** {@code size} indices drawn uniformly (unbiased) from [0, size) with replacement, from (seed, epoch). */
    static long[] draws(long size, long seed, long epoch) {
        long[] d = new long[Math.toIntExact(size)];
        SplittableRandom r = new SplittableRandom((seed ^ RESAMPLE_SALT) * PERMUTATION_STRIDE + epoch);
        for (int i = 0; i < d.length; i++) d[i] = r.nextLong(size);
        return d;
    }
}
