package org.clip4j.train;

import org.clip4j.core.ClipException;
import org.clip4j.train.data.Batch;
import org.clip4j.train.data.BatchLoader;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * K consecutive micro-batches of the loader forming one global batch for {@link FeatureCachingStep}. When the
 * pixels of the whole global batch fit the budget they are kept for the second pass; otherwise each
 * micro-batch's images are released after the first pass and decoded again for the second (the next one in the
 * background while the model works), so memory follows the micro-batch, not the global batch.
 */
final class GlobalBatch implements FeatureCachingStep.MicroBatches, AutoCloseable {
    private final List<Batch> micro;
    private final BatchLoader loader;
    private final boolean keepPixels;
    private CompletableFuture<INDArray> next;
    private int nextIndex = -1;

    GlobalBatch(List<Batch> micro, BatchLoader loader, long pixelBudgetBytes) {
        this.micro = micro;
        this.loader = loader;
        long bytes = 0;
        for (Batch b : micro) bytes += b.images().length() * 4L;
        this.keepPixels = bytes <= pixelBudgetBytes;
    }

    boolean keepsPixels() {
        return keepPixels;
    }

    @Override
    public int count() {
        return micro.size();
    }

    @Override
    public INDArray images(int k, boolean secondPass) {
        Batch b = micro.get(k);
        if (keepPixels) return b.images().dup();
        if (!secondPass) {
            INDArray x = b.images().dup();
            b.images().close(); // released now; decoded again for the second pass
            if (k == micro.size() - 1) prefetch(0);
            return x;
        }
        INDArray x = nextIndex == k ? join() : loader.reload(b.indices(), b.positions());
        if (k + 1 < micro.size()) prefetch(k + 1);
        return x;
    }

    private void prefetch(int k) {
        nextIndex = k;
        long[] idx = micro.get(k).indices(), pos = micro.get(k).positions();
        next = CompletableFuture.supplyAsync(() -> loader.reload(idx, pos));
    }

    private INDArray join() {
        try {
            return next.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new ClipException("reloading images failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClipException("interrupted while reloading images", e);
        } finally {
            nextIndex = -1;
            next = null;
        }
    }

    @Override
    public INDArray ids(int k) {
        return micro.get(k).ids().dup();
    }

    @Override
    public void close() {
        if (next != null) next.thenAccept(INDArray::close);
        for (Batch b : micro) {
            if (!b.images().wasClosed()) b.images().close();
            b.ids().close();
        }
    }
}
