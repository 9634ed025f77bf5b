package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.ref.WeakReference;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Recycles the native buffers of activation-sized arrays, as PyTorch's caching allocators do.
 *
 * <p><b>Why.</b> A new ND4J array of n bytes costs about 0.6 ms per MB here before any arithmetic: libnd4j
 * writes the whole buffer when it allocates it ({@code createUninitialized} included), and with the fixed mmap
 * threshold of {@link NativeAllocator} every page of a large buffer is a fresh page fault (about 15 ms for one
 * RN50 activation of 8×256×56×56 floats, ten times the cost of copying it). A training step allocates and
 * releases the same sizes in the same order every time, so keeping released buffers for the next request of the
 * same type and length removes that cost from every step after the first.
 *
 * <p><b>Contract.</b> {@link #create} returns an array whose contents are undefined (the previous user's
 * values), C-ordered, over a pooled buffer. Such an array, and any view of it that shares its {@link DataBuffer}
 * ({@code permute}, {@code reshape}), must be given back through {@link Tensors#release} (which calls
 * {@link #recycle}), never closed directly and never used after its release. Arrays below
 * {@link #MIN_BYTES} are plain ND4J arrays (small buffers come from malloc's heap, where reuse is cheap). The
 * pool refers to the buffers it handed out only weakly: one that is never given back (a result kept by a
 * caller, then dropped) is freed by the garbage collector like any ND4J array, and one closed directly is
 * simply forgotten.
 *
 * <p>Idle buffers are kept up to a capacity in bytes (system property {@code clip4j.bufferPool}, default
 * 4 GiB; {@code 0} turns pooling off); beyond it a released buffer is closed. In steady state the idle set is
 * what one step needs at its peak, so resident memory stays what it was without the pool. Thread-safe.
 */
public final class BufferPool {
    /**
     * Arrays smaller than this (bytes) are never pooled: 128 KiB (the mmap threshold {@link NativeAllocator}
     * sets: every larger buffer is a fresh mapping whose pages fault on first touch), or the system property
     * {@code clip4j.bufferPool.minBytes} (the tests set 0 so that their small shapes go through the pool).
     */
    public static final long MIN_BYTES = Long.getLong("clip4j.bufferPool.minBytes", NativeAllocator.DEFAULT_THRESHOLD);
    private static final long CAPACITY = Long.getLong("clip4j.bufferPool", 4L << 30);

    private record Key(DataType type, long length) {
    }

    private static final Map<Key, ArrayDeque<DataBuffer>> IDLE = new HashMap<>();
    /**
     * Every buffer the pool created and has not closed, by native address, weakly: an array that leaves the
     * library's scopes (a result nobody releases) is still freed by the garbage collector as any ND4J array.
     */
    private static final Map<Long, WeakReference<DataBuffer>> POOLED = new HashMap<>();
    private static int sweepAt = 1024;
    private static final Set<DataBuffer> IDLE_SET = Collections.newSetFromMap(new IdentityHashMap<>());
    private static long idleBytes;

    private BufferPool() {
    }

    /** True if pooling is on (capacity above zero). */
    public static boolean enabled() {
        return CAPACITY > 0;
    }

    /** A new C-ordered array of this shape with undefined contents (see the class comment). */
    public static INDArray create(DataType type, long... shape) {
        long length = 1;
        for (long s : shape) length *= s;
        if (CAPACITY <= 0 || length * type.width() < MIN_BYTES) return Nd4j.createUninitialized(type, shape);
        DataBuffer buffer = take(new Key(type, length));
        if (buffer == null) {
            INDArray fresh = Nd4j.createUninitialized(type, shape);
            synchronized (BufferPool.class) {
                addPooled(fresh.data());
            }
            return fresh;
        }
        return Nd4j.create(buffer, shape, Nd4j.getStrides(shape, 'c'), 0, 'c');
    }

    /** True if {@code b} is a pooled buffer waiting for its next use (given back, not to be touched). */
    static synchronized boolean isIdle(DataBuffer b) {
        return IDLE_SET.contains(b);
    }

    /** As {@link #create}, filled with zeros. */
    public static INDArray zeros(DataType type, long... shape) {
        INDArray a = create(type, shape);
        a.assign(0);
        return a;
    }

    private static synchronized DataBuffer take(Key key) {
        ArrayDeque<DataBuffer> q = IDLE.get(key);
        while (q != null && !q.isEmpty()) {
            DataBuffer b = q.pop();
            IDLE_SET.remove(b);
            idleBytes -= key.length * key.type.width();
            if (!b.wasClosed()) {
                if (Memcheck.ENABLED) Memcheck.created(b); // under the pool's lock: see Memcheck.closed
                return b;
            }
            forget(b); // closed behind the pool's back
        }
        return null;
    }

    /**
     * Gives {@code a}'s buffer back to the pool if it is a pooled buffer ({@code a} may be the array
     * {@link #create} returned or a view sharing its buffer); returns false, doing nothing, otherwise.
     */
    public static boolean recycle(INDArray a) {
        DataBuffer b = a.data();
        synchronized (BufferPool.class) {
            if (!isPooled(b)) return false;
            if (!IDLE_SET.add(b)) return true; // released twice (an array and a view of it): already idle
            long bytes = b.length() * b.dataType().width();
            if (idleBytes + bytes > CAPACITY) {
                IDLE_SET.remove(b);
                forget(b);
                b.close();
                return true;
            }
            ArrayDeque<DataBuffer> q = IDLE.computeIfAbsent(new Key(b.dataType(), b.length()), k -> new ArrayDeque<>());
            q.push(b);
            idleBytes += bytes;
            return true;
        }
    }

    private static boolean isPooled(DataBuffer b) {
        if (b.wasClosed()) return false;
        WeakReference<DataBuffer> r = POOLED.get(b.address());
        return r != null && r.get() == b;
    }

    private static void addPooled(DataBuffer b) {
        POOLED.put(b.address(), new WeakReference<>(b));
        if (POOLED.size() >= sweepAt) { // drop the entries of buffers the garbage collector or a close() freed
            POOLED.values().removeIf(r -> r.get() == null || r.get().wasClosed());
            sweepAt = Math.max(1024, 2 * POOLED.size());
        }
    }

    private static void forget(DataBuffer b) {
        if (b.wasClosed()) {
            POOLED.values().removeIf(r -> r.get() == b); // its address is gone with it
            return;
        }
        WeakReference<DataBuffer> r = POOLED.get(b.address());
        if (r != null && r.get() == b) POOLED.remove(b.address());
    }

    /** Bytes held by idle buffers. */
    public static synchronized long idleBytes() {
        return idleBytes;
    }

    /** Fills every idle buffer with {@code value} (tests: a pooled array must be written before it is read). */
    static synchronized void fillIdle(double value) {
        for (ArrayDeque<DataBuffer> q : IDLE.values()) {
            for (DataBuffer b : q) for (long i = 0; i < b.length(); i++) b.put(i, value);
        }
    }

    /** Closes every idle buffer (for example after a phase whose sizes will not come back). */
    public static synchronized void trim() {
        for (ArrayDeque<DataBuffer> q : IDLE.values()) {
            for (DataBuffer b : q) {
                forget(b);
                b.close();
            }
        }
        IDLE.clear();
        IDLE_SET.clear();
        idleBytes = 0;
    }
}
