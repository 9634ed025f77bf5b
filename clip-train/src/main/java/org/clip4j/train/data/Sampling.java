package org.clip4j.train.data;

/**
 * How a {@link BatchLoader} maps its endless sample stream onto a source of N samples. Every mode is a pure
 * function of (seed, stream position), so a run resumed at a position continues exactly; an "epoch" is N
 * consecutive positions in each.
 */
public enum Sampling {
    /** Source order, epoch after epoch ({@code clip train --no-shuffle}). */
    SEQUENTIAL,
    /** A fresh permutation of the source per epoch, drawn from (seed, epoch): each sample once per epoch (the default). */
    PERMUTATION,
    /**
     * Samples drawn uniformly with replacement, from a generator keyed by (seed, epoch), as OpenCLIP's
     * {@code --dataset-resampled}: within an epoch some samples repeat and others are missing, and epoch
     * boundaries lose their meaning (useful with many sources or when a run is shorter than an epoch).
     */
    RESAMPLED;

    /** The mode of the trainer's two switches: {@code resampled} wins; else permutation when {@code shuffle}. */
    public static Sampling of(boolean shuffle, boolean resampled) {
        return resampled ? RESAMPLED : shuffle ? PERMUTATION : SEQUENTIAL;
    }
}
