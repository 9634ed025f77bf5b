package org.clip4j.train.data;

import org.clip4j.core.ClipException;
import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.image.TrainTransform;
import org.clip4j.core.tokenizer.ClipTokenizer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns an {@link ImageTextSource} into batches: decoding, preprocessing and tokenising run on worker threads,
 * ahead of the model, into a bounded queue of ready batches.
 *
 * <p>The sample stream is endless: position p is sample {@code order(p / size)[p % size]}, where the order of
 * epoch e is, by {@link Sampling}, a permutation drawn from (seed, e), draws with replacement from (seed, e), or
 * the manifest order. A batch takes the
 * next samples of the stream; a sample whose image cannot be read is skipped and counted (the first ten logged
 * one by one, then a count every thousand), never the end of an epoch; data with nothing usable ends the stream
 * with an error (see the last constructor). Everything depends only on (source, seed, start position), never on
 * thread timing, so a run resumed at a batch's {@link Batch#positionAfter()} sees exactly the batches that would
 * have followed.
 */
public final class BatchLoader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BatchLoader.class);
    private static final Batch END = new Batch(null, null, new long[0], new long[0], -1, 0);
    /** Unusable samples in a row before the loader gives up, unless configured. */
    public static final long DEFAULT_MAX_CONSECUTIVE_BAD = 1000;

    private final ImageTextSource source;
    private final ImagePreprocessor pre;
    private final TrainTransform augment;   // null: the evaluation transform
    private final ClipTokenizer tokenizer;
    private final int contextLength, batchSize;
    private final Sampling sampling;
    private final long seed;
    private final RankShare share;
    private final ExecutorService workers;
    private final Thread assembler;
    private final BlockingQueue<Batch> ready;
    private final AtomicLong skippedTotal = new AtomicLong();
    private final long maxConsecutiveBad;
    private final SkipWarnings warnings = new SkipWarnings(LOG);
    private volatile Throwable failure;
    private volatile boolean closed;
    private long waitNanos;

    /** A loader with the evaluation transform {@code pre} (no augmentation); see the class comment. */
    public BatchLoader(ImageTextSource source, ImagePreprocessor pre, ClipTokenizer tokenizer, int contextLength,
                       int batchSize, boolean shuffle, long seed, long startPosition, int threads, int prefetchBatches) {
        this(source, pre, null, tokenizer, contextLength, batchSize, shuffle, seed, startPosition, threads, prefetchBatches);
    }

    /**
     * A loader whose images go through {@code augment} (null: through {@code pre}, the evaluation transform). The
     * augmentation of the sample at stream position p is seeded by (seed, p), so a resumed run and a reload see the
     * same pixels.
     */
    public BatchLoader(ImageTextSource source, ImagePreprocessor pre, TrainTransform augment, ClipTokenizer tokenizer,
                       int contextLength, int batchSize, boolean shuffle, long seed, long startPosition, int threads,
                       int prefetchBatches) {
        this(source, pre, augment, tokenizer, contextLength, batchSize, Sampling.of(shuffle, false), seed, startPosition,
                threads, prefetchBatches);
    }

    /**
     * A loader drawing its stream with {@code sampling} (the boolean constructors: {@link Sampling#PERMUTATION} when
     * shuffling, else {@link Sampling#SEQUENTIAL}); {@code augment} as in the constructor above.
     */
    public BatchLoader(ImageTextSource source, ImagePreprocessor pre, TrainTransform augment, ClipTokenizer tokenizer,
                       int contextLength, int batchSize, Sampling sampling, long seed, long startPosition, int threads,
                       int prefetchBatches) {
        this(source, pre, augment, tokenizer, contextLength, batchSize, sampling, seed, startPosition, threads,
                prefetchBatches, DEFAULT_MAX_CONSECUTIVE_BAD);
    }

    /**
     * As above, and the loader fails (its {@link #next()} throws a {@link ClipException} naming the data and the last
     * error) after {@code maxConsecutiveBad} unusable samples in a row, or after a whole epoch without a usable one
     * (sequential and permutation sampling, where an epoch visits every sample once): data that is all bad must
     * end a run, not spin it forever.
     */
    public BatchLoader(ImageTextSource source, ImagePreprocessor pre, TrainTransform augment, ClipTokenizer tokenizer,
                       int contextLength, int batchSize, Sampling sampling, long seed, long startPosition, int threads,
                       int prefetchBatches, long maxConsecutiveBad) {
        this(source, pre, augment, tokenizer, contextLength, batchSize, sampling, seed, RankShare.single(), startPosition,
                threads, prefetchBatches, maxConsecutiveBad);
    }

    /**
     * A loader of one rank's share of the stream (data-parallel training): {@code startPosition} and every
     * {@link Batch#positionAfter()} are local positions of {@code share}; {@link Batch#positions()} are global stream
     * positions, which decide the sample and its augmentation, so a sample looks the same whatever the rank count.
     */
    public BatchLoader(ImageTextSource source, ImagePreprocessor pre, TrainTransform augment, ClipTokenizer tokenizer,
                       int contextLength, int batchSize, Sampling sampling, long seed, RankShare share, long startPosition,
                       int threads, int prefetchBatches) {
        this(source, pre, augment, tokenizer, contextLength, batchSize, sampling, seed, share, startPosition, threads,
                prefetchBatches, DEFAULT_MAX_CONSECUTIVE_BAD);
    }

    /** As above, with the limit of unusable samples in a row (see the constructor without {@code share}). */
    public BatchLoader(ImageTextSource source, ImagePreprocessor pre, TrainTransform augment, ClipTokenizer tokenizer,
                       int contextLength, int batchSize, Sampling sampling, long seed, RankShare share, long startPosition,
                       int threads, int prefetchBatches, long maxConsecutiveBad) {
        java.util.Objects.requireNonNull(sampling, "sampling");
        this.share = java.util.Objects.requireNonNull(share, "share");
        if (maxConsecutiveBad < 1) {
            throw new IllegalArgumentException("max consecutive bad samples " + maxConsecutiveBad + ": expected >= 1");
        }
        this.maxConsecutiveBad = maxConsecutiveBad;
        if (augment != null && augment.size() != pre.size()) {
            throw new IllegalArgumentException("augmentation size " + augment.size() + " != preprocessing size " + pre.size());
        }
        if (source.size() < 1) throw new ClipException(source.describe() + ": no samples");
        if (batchSize < 1) throw new IllegalArgumentException("batch size " + batchSize + ": expected >= 1");
        this.source = source;
        this.pre = pre;
        this.augment = augment;
        this.tokenizer = tokenizer;
        this.contextLength = contextLength;
        this.batchSize = batchSize;
        this.sampling = sampling;
        this.seed = seed;
        this.ready = new ArrayBlockingQueue<>(Math.max(1, prefetchBatches));
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "clip4j-data-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.assembler = new Thread(() -> assemble(startPosition), "clip4j-batches");
        assembler.setDaemon(true);
        assembler.start();
    }

    private record Prepared(float[] pixels, long[] ids) {
    }

    private void assemble(long position) {
        final long position0 = position;
        SampleOrder order = new SampleOrder(sampling, source.size(), seed);
        Deque<long[]> pendingIdx = new ArrayDeque<>();     // {local position, index, global position}
        Deque<Future<Prepared>> pending = new ArrayDeque<>();
        int ahead = batchSize * (ready.remainingCapacity() + 1);
        long next = position;
        int r = pre.size();
        long size = source.size(), badInARow = 0;
        boolean epochs = sampling != Sampling.RESAMPLED; // an epoch visits every sample exactly once
        boolean goodThisEpoch = false;
        try {
            while (!closed) {
                float[] pixels = new float[batchSize * 3 * r * r];       // [n, 3, R, R]
                long[] ids = new long[batchSize * contextLength];         // [n, C]
                long[] indices = new long[batchSize], positions = new long[batchSize];
                int filled = 0, skipped = 0;
                long after = position;
                while (filled < batchSize && !closed) {
                    while (pending.size() < ahead) {
                        long pos = share.global(next), idx = order.indexAt(pos);
                        pendingIdx.add(new long[]{next, idx, pos});
                        pending.add(workers.submit(() -> prepare(idx, pos)));
                        next++;
                    }
                    long[] pi = pendingIdx.poll();
                    Future<Prepared> f = pending.poll();
                    after = pi[0] + 1;
                    Prepared p = null;
                    String error = null;
                    try {
                        p = f.get();
                        badInARow = 0;
                        goodThisEpoch = true;
                    } catch (ExecutionException e) {
                        skipped++;
                        skippedTotal.incrementAndGet();
                        badInARow++;
                        error = String.valueOf(e.getCause().getMessage());
                        warnings.skipped(pi[1], pi[2], error);
                        if (badInARow >= maxConsecutiveBad) {
                            throw new ClipException(source.describe() + ": " + badInARow + " unusable samples in a row"
                                    + " (the limit: maxConsecutiveBad, `--max-consecutive-bad-samples` of the CLI); the"
                                    + " last: sample " + pi[1] + ": " + error);
                        }
                    }
                    if (epochs && (pi[0] + 1) % size == 0) { // the last position of an epoch
                        if (!goodThisEpoch && pi[0] + 1 - size >= position0) {
                            throw new ClipException(source.describe() + ": not one usable sample in a whole epoch ("
                                    + size + " samples, all skipped); the last error: sample " + pi[1] + ": " + error);
                        }
                        goodThisEpoch = false;
                    }
                    if (p == null) continue;
                    System.arraycopy(p.pixels, 0, pixels, filled * p.pixels.length, p.pixels.length);
                    System.arraycopy(p.ids, 0, ids, filled * contextLength, contextLength);
                    positions[filled] = pi[2];
                    indices[filled++] = pi[1];
                }
                if (closed) break;
                position = after;
                Batch b = new Batch(Nd4j.create(pixels, new long[]{batchSize, 3, r, r}, DataType.FLOAT),
                        Nd4j.createFromArray(ids).reshape(batchSize, contextLength), indices, positions, after, skipped);
                boolean offered = false;
                while (!closed && !(offered = ready.offer(b, 100, TimeUnit.MILLISECONDS))) {
                    // wait for the consumer
                }
                if (!offered) b.close(); // closing: nobody will take it
            }
        } catch (Throwable t) {
            failure = t;
            ready.offer(END);
        } finally {
            pending.forEach(f -> f.cancel(true));
        }
    }

    private Prepared prepare(long index, long position) {
        float[] px = pixels(index, position);
        long[] ids = tokenizer.tokenize(List.of(source.caption(index)), contextLength, true)[0];
        return new Prepared(px, ids);
    }

    /** The preprocessed (and, in training, augmented) image of source sample {@code index} at stream position p. */
    private float[] pixels(long index, long position) {
        org.clip4j.core.image.DecodedImage img = source.image(index);
        return augment == null ? pre.apply(img) : augment.apply(img, augmentSeed(position));
    }

    /** The augmentation seed of stream position p: a 64-bit mix (SplitMix64's finaliser) of (seed, p). */
    long augmentSeed(long position) {
        long z = seed * 0x9E3779B97F4A7C15L + position + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The images of source samples {@code indices} at stream positions {@code positions} again, [m, 3, R, R] in
     * that order, prepared in parallel on the loader's workers (feature caching's second pass, when the pixels of a
     * global batch were not kept). Every sample is a pure function of its index and position, so the pixels equal
     * the first time's.
     */
    public INDArray reload(long[] indices, long[] positions) {
        if (positions.length != indices.length) throw new IllegalArgumentException("indices and positions differ in length");
        int r = pre.size(), per = 3 * r * r;
        float[] pixels = new float[indices.length * per];
        java.util.List<Future<?>> tasks = new java.util.ArrayList<>();
        for (int i = 0; i < indices.length; i++) {
            final int slot = i;
            tasks.add(workers.submit(() -> {
                float[] px = pixels(indices[slot], positions[slot]);
                System.arraycopy(px, 0, pixels, slot * per, per);
            }));
        }
        for (int i = 0; i < tasks.size(); i++) {
            try {
                tasks.get(i).get();
            } catch (ExecutionException e) {
                throw new ClipException("sample " + indices[i] + " could not be read again in the same step: "
                        + e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClipException("interrupted while reloading images", e);
            }
        }
        return Nd4j.create(pixels, new long[]{indices.length, 3, r, r}, DataType.FLOAT);
    }

    /** The next batch (blocks while the workers prepare it); the caller closes it. */
    public Batch next() {
        long t0 = System.nanoTime();
        Batch b;
        try {
            b = ready.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClipException("interrupted while waiting for data", e);
        }
        waitNanos += System.nanoTime() - t0;
        if (b == END) {
            ready.offer(END);
            if (failure instanceof ClipException c) throw new ClipException(c.getMessage(), c);
            throw new ClipException("data loading failed: " + failure, failure);
        }
        return b;
    }

    /** Seconds the consumer spent waiting in {@link #next()} so far. */
    public double waitSeconds() {
        return waitNanos / 1e9;
    }

    /** Samples skipped so far because their image could not be read. */
    public long skipped() {
        return skippedTotal.get();
    }

    @Override
    public void close() {
        closed = true;
        assembler.interrupt();
        workers.shutdownNow();
        try {
            assembler.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Batch b;
        while ((b = ready.poll()) != null) if (b != END) b.close();
    }

    @Override
    public String toString() {
        return "BatchLoader[" + source.describe() + ", batch " + batchSize + ", sampling " + sampling + ", seed " + seed
                + ", context " + contextLength + ", image " + pre.size() + "]";
    }
}
