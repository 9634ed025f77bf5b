package org.clip4j.core.nn;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * Pins glibc's mmap threshold so that the native buffers of large arrays are returned to the system when they
 * are closed. Applied once, the first time a {@link Module} is created.
 *
 * <p><b>Why.</b> ND4J's CPU backend allocates array buffers with the C allocator and frees them on
 * {@code close()}. glibc serves large requests (above the mmap threshold, 128 KiB by default) with a private
 * {@code mmap}, but the threshold is <em>dynamic</em>: the first time such a block is freed, the threshold
 * rises to its size (up to 32 MiB), and later buffers of that size are carved out of an arena heap instead.
 * ND4J also makes small native allocations that only the garbage collector frees (the native side of
 * {@code OpaqueDataBuffer}s, op contexts, shape descriptors of views). They land between the big blocks in the
 * heap, so a closed activation leaves a hole that the next, slightly differently placed request cannot use:
 * the heap grows by about one activation per allocation until a collection happens to run. With the
 * oneDNN builds of ND4J 1.0.0-M2.1 this was about 190 MB of resident memory per ViT-B/32 training step at batch
 * 8 (successive 4.9 MB buffers were 4.9 MB + 7 KB apart); {@code malloc}'s own in-use count did not grow.
 *
 * <p><b>Fix.</b> {@code mallopt(M_MMAP_THRESHOLD, 128 KiB)} fixes the threshold (and turns off the dynamic
 * adjustment), so every buffer of 128 KiB or more is its own mapping and {@code close()} unmaps it at once:
 * resident memory follows the live arrays. The price is a page fault per 4 KiB the first time a new buffer is
 * written, a few percent of a forward pass. Process-wide, as glibc's own {@code MALLOC_MMAP_THRESHOLD_}
 * environment variable (which takes precedence: if it is set, nothing is changed here).
 *
 * <p>Set the system property {@code clip4j.mmapThreshold} to a size in bytes to choose another threshold, or
 * to {@code 0} to leave the allocator alone. Not Linux (or not glibc): nothing happens.
 */
public final class NativeAllocator {
    /** glibc's {@code M_MMAP_THRESHOLD} parameter of {@code mallopt}. */
    private static final int M_MMAP_THRESHOLD = -3;
    /** glibc's default (static) threshold. */
    public static final int DEFAULT_THRESHOLD = 128 << 10;

    private static volatile Boolean applied;

    private NativeAllocator() {
    }

    /** The C library's {@code mallopt}. */
    private interface CLib extends Library {
        int mallopt(int param, int value);
    }

    /**
     * Applies the threshold once per process (later calls return the first result). True if glibc accepted
     * it, false if disabled, not Linux, or the call failed.
     */
    public static boolean ensureConfigured() {
        Boolean a = applied;
        if (a == null) {
            synchronized (NativeAllocator.class) {
                a = applied;
                if (a == null) {
                    a = configure();
                    applied = a;
                }
            }
        }
        return a;
    }

    private static boolean configure() {
        long threshold = Long.getLong("clip4j.mmapThreshold", DEFAULT_THRESHOLD);
        if (threshold <= 0 || !Platform.isLinux() || System.getenv("MALLOC_MMAP_THRESHOLD_") != null) return false;
        try {
            CLib c = Native.loadLibrary("c", CLib.class);
            return c.mallopt(M_MMAP_THRESHOLD, (int) Math.min(threshold, 32 << 20)) == 1; // 1 = success
        } catch (LinkageError | RuntimeException e) { // musl or no libc.so: no mallopt to call
            return false;
        }
    }
}
