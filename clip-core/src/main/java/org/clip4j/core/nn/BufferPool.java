package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
 * {@link #MIN_BYTES} are plain ND4J arrays (small buffers come from malloc's heap, where reuse is cheap).
 *
 * <p>Idle buffers are kept up to a capacity in bytes (system property {@code clip4j.bufferPool}, default
 * 4 GiB; {@code 0} turns pooling off); beyond it a released buffer is closed. In steady state the idle set is
 * what one step needs at its peak, so resident memory stays what it was without the pool. Thread-safe.
 */
public final class BufferPool {
    /**
     * Arrays smaller than this (bytes) are never pooled: 256 KiB, or the system property
     * {@code clip4j.bufferPool.minBytes} (the tests set 0 so that their small shapes go through the pool).
     */
    public static final long MIN_BYTES = Long.getLong("clip4j.bufferPool.minBytes", 256 << 10);
    private static final long CAPACITY = Long.getLong("clip4j.bufferPool", 4L << 30);

    private record Key(DataType type, long length) {
    }

    private static final Map<Key, ArrayDeque<DataBuffer>> IDLE = new HashMap<>();
    private static final Set<DataBuffer> POOLED = Collections.newSetFromMap(new IdentityHashMap<>());
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
                POOLED.add(fresh.data());
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
            POOLED.remove(b); // closed behind the pool's back: forget it
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
            if (!POOLED.contains(b)) return false;
            if (!IDLE_SET.add(b)) return true; // released twice (an array and a view of it): already idle
            long bytes = b.length() * b.dataType().width();
            if (idleBytes + bytes > CAPACITY) {
                IDLE_SET.remove(b);
                POOLED.remove(b);
                b.close();
                return true;
            }
            ArrayDeque<DataBuffer> q = IDLE.computeIfAbsent(new Key(b.dataType(), b.length()), k -> new ArrayDeque<>());
            q.push(b);
            idleBytes += bytes;
            return true;
        }
    }

    /** Bytes held by idle buffers. */
    public static synchronized long idleBytes() {
        return idleBytes;
    }

    /** Closes every idle buffer (for example after a phase whose sizes will not come back). */
    public static synchronized void trim() {
        for (ArrayDeque<DataBuffer> q : IDLE.values()) {
            for (DataBuffer b : q) {
                POOLED.remove(b);
                b.close();
            }
        }
        IDLE.clear();
        IDLE_SET.clear();
        idleBytes = 0;
    }
}
