package org.clip4j.train.dist;

import org.clip4j.core.ClipException;
import org.clip4j.core.nn.Scope;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@link Collectives} among threads of one JVM: {@link #group(int)} makes one instance per rank, each to be used by
 * its own thread. Every operation publishes the rank's array, waits for all ranks, reads the others' arrays (sums
 * are formed in rank order, so every rank gets bit-identical results) and waits again before anyone may reuse a
 * slot. Meant for unit tests of the distributed algorithms; a rank that waits more than a minute, or whose group
 * was {@link #abort aborted}, throws.
 */
public final class LocalCollectives implements Collectives {
    private static final long TIMEOUT_SECONDS = 60;

    /** State shared by the ranks of one group. */
    private static final class Group {
        final CyclicBarrier barrier;
        final INDArray[] slots;
        volatile boolean aborted;

        Group(int n) {
            barrier = new CyclicBarrier(n);
            slots = new INDArray[n];
        }
    }

    private final Group group;
    private final int rank;
    private long bytes;

    private LocalCollectives(Group group, int rank) {
        this.group = group;
        this.rank = rank;
    }

    /** One {@link Collectives} per rank of a new group of {@code n} threads. */
    public static List<Collectives> group(int n) {
        if (n < 1) throw new IllegalArgumentException("group size " + n + ": expected >= 1");
        Group g = new Group(n);
        List<Collectives> out = new ArrayList<>();
        for (int r = 0; r < n; r++) out.add(new LocalCollectives(g, r));
        return out;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return group.slots.length;
    }

    private void await() {
        if (group.aborted) throw new ClipException("rank " + rank + ": the group was aborted");
        try {
            group.barrier.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClipException("rank " + rank + ": interrupted in a collective", e);
        } catch (BrokenBarrierException | TimeoutException e) {
            group.aborted = true;
            group.barrier.reset();
            throw new ClipException("rank " + rank + ": another rank failed or stopped calling collectives", e);
        }
    }

    /** Publishes {@code a}, waits for everyone; the caller reads the slots, then calls {@link #finish()}. */
    private void publish(INDArray a) {
        Contiguous.check(a, "collective argument");
        bytes += a.length() * a.dataType().width();
        group.slots[rank] = a;
        await();
    }

    private void finish() {
        await();
        group.slots[rank] = null;
    }

    private void checkSame(INDArray a) {
        for (int r = 0; r < size(); r++) {
            INDArray o = group.slots[r];
            if (!Arrays.equals(o.shape(), a.shape()) || o.dataType() != a.dataType()) {
                throw new ClipException("rank " + rank + ": collective on " + a.dataType() + Arrays.toString(a.shape())
                        + " but rank " + r + " passed " + o.dataType() + Arrays.toString(o.shape()));
            }
        }
    }

    @Override
    public void allReduceSum(INDArray a) {
        Contiguous.checkReducible(a);
        publish(a);
        try (Scope s = Scope.open()) {
            INDArray sum;
            try {
                checkSame(a);
                sum = s.track(group.slots[0].dup());
                for (int r = 1; r < size(); r++) sum.addi(group.slots[r]);
            } finally {
                finish();
            }
            a.assign(sum);
        }
    }

    @Override
    public INDArray allGather(INDArray local) {
        publish(local);
        try (Scope s = Scope.open()) {
            checkSame(local);
            return s.ret(s.track(size() == 1 ? local.dup('c') : Nd4j.concat(0, group.slots.clone()))); // concat of one returns it
        } finally {
            finish();
        }
    }

    @Override
    public INDArray reduceScatterSum(INDArray full) {
        Contiguous.checkReducible(full);
        long n = Contiguous.rowsPerRank(full, size());
        publish(full);
        try (Scope s = Scope.open()) {
            checkSame(full);
            INDArray out = null;
            for (int r = 0; r < size(); r++) {
                INDArray part = Contiguous.rows(group.slots[r], rank * n, (rank + 1) * n);
                if (out == null) out = s.track(part.dup('c'));
                else out.addi(part);
            }
            return s.ret(out);
        } finally {
            finish();
        }
    }

    @Override
    public void broadcast(INDArray a, int root) {
        if (root < 0 || root >= size()) throw new IllegalArgumentException("broadcast root " + root + " of " + size() + " ranks");
        publish(a);
        try (Scope s = Scope.open()) {
            INDArray src;
            try {
                checkSame(a);
                src = rank == root ? null : s.track(group.slots[root].dup());
            } finally {
                finish();
            }
            if (src != null) a.assign(src);
        }
    }

    @Override
    public void abort(int code) {
        group.aborted = true;
        group.barrier.reset(); // wakes the waiting ranks with BrokenBarrierException
    }

    @Override
    public long payloadBytes() {
        return bytes;
    }

    @Override
    public String describe() {
        return "in-JVM threads";
    }

    @Override
    public void close() {
        // nothing to release
    }
}
