package org.clip4j.core.image;

import org.clip4j.core.ClipException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Preprocesses a list of files in parallel into one NCHW array. Every task writes its own slice of the array's
 * native buffer, so the output order is the argument order whatever the scheduling.
 */
final class ParallelBatch {
    private static final AtomicInteger POOL_COUNTER = new AtomicInteger();

    private ParallelBatch() {
    }

    /** {@code executor == null}: use a temporary fixed pool of at most availableProcessors() daemon threads. */
    static INDArray run(ImagePreprocessor pre, List<Path> files, ExecutorService executor) {
        if (files == null || files.isEmpty()) throw new IllegalArgumentException("files must not be null or empty");
        for (int i = 0; i < files.size(); i++) {
            if (files.get(i) == null) throw new IllegalArgumentException("files[" + i + "] is null");
        }
        int n = files.size();
        int per = 3 * pre.size() * pre.size();
        if ((long) n * per > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(n + " images of [3, " + pre.size() + ", " + pre.size() + "] do not fit in one array; split the batch");
        }
        // Every task writes its image straight into the array's native buffer: no n-image Java array and copy.
        INDArray batch = Nd4j.createUninitialized(DataType.FLOAT, n, 3, pre.size(), pre.size());   // [n, 3, N, N]
        java.nio.FloatBuffer out = batch.data().asNioFloat();
        ExecutorService pool = executor != null ? executor : newPool(Math.min(n, Runtime.getRuntime().availableProcessors()));
        try {
            List<Future<?>> futures = new ArrayList<>(n);
            try {
                for (int i = 0; i < n; i++) {
                    final int index = i;
                    futures.add(pool.submit(() -> {
                        float[] v = pre.apply(files.get(index));
                        out.put(index * per, v);   // absolute bulk put: no shared position
                        return null;
                    }));
                }
            } catch (RejectedExecutionException e) {
                futures.forEach(f -> f.cancel(true));
                throw new ClipException("the executor rejected an image preprocessing task: " + e.getMessage(), e);
            }
            // Waiting in argument order makes the first exception seen that of the first failing file.
            for (int i = 0; i < n; i++) {
                try {
                    futures.get(i).get();
                } catch (ExecutionException e) {
                    futures.forEach(f -> f.cancel(true));
                    throw rethrow(files.get(i), e.getCause());
                } catch (InterruptedException e) {
                    futures.forEach(f -> f.cancel(true));
                    Thread.currentThread().interrupt();
                    throw new ClipException("interrupted while preprocessing a batch of " + n + " images", e);
                }
            }
        } finally {
            // On failure the array is not closed: cancelled tasks may still be writing into it (the garbage
            // collector frees it once they are done).
            if (executor == null) pool.shutdownNow();
        }
        return batch;
    }

    private static RuntimeException rethrow(Path file, Throwable cause) {
        if (cause instanceof ClipException c) return c;   // already names the file
        if (cause instanceof Error err) throw err;
        return new ClipException(file + ": preprocessing failed: " + cause, cause);
    }

    private static ExecutorService newPool(int threads) {
        int id = POOL_COUNTER.incrementAndGet();
        AtomicInteger thread = new AtomicInteger();
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "clip4j-preprocess-" + id + "-" + thread.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }
}
