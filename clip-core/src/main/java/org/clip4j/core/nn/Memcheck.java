package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.factory.DataBufferFactory;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The debug check of the ownership rule (system property {@code clip4j.memcheck=true}; off by default, and then
 * nothing here runs). It fails, with an {@link IllegalStateException} whose message starts with
 * {@code "memcheck:"}, on:
 * <ul>
 *   <li>a <b>double release</b>: releasing an array that is already closed or already back in the
 *       {@link BufferPool};</li>
 *   <li>a <b>release of a borrowed array</b>: {@link Tensors#release} of an array a {@link Scope} or a
 *       {@link Tape} frame owns (only the owner releases it), {@link Scope#release} of an array the scope does
 *       not own, or a release of a {@link Parameter}'s value or gradient;</li>
 *   <li>a <b>leak</b>: an array created while a scope was the innermost one on its thread that, when the scope
 *       closes, is neither released, nor returned, nor saved on the tape, nor owned by another scope.</li>
 * </ul>
 *
 * <p><b>How leaks are seen.</b> ND4J creates every array buffer through its {@link DataBufferFactory}; with the
 * check on, that factory is wrapped so that each new buffer is recorded in the creating thread's innermost
 * scope. Only floating-point buffers of more than one element count: ND4J itself makes small integer buffers
 * (reduction dimensions, scalar arguments) that only the garbage collector frees. Views are not buffers of their
 * own. Every violation is also counted ({@link #violations()}), so a test can assert that none happened even
 * where an exception was already propagating and the check's own exception became a suppressed one.
 */
public final class Memcheck {
    /** True if the check is on ({@code -Dclip4j.memcheck=true}). Read once per process. */
    public static final boolean ENABLED = Boolean.getBoolean("clip4j.memcheck");

    /** Root buffer → its owner (a {@link Scope} or a {@link Tape} frame). */
    private static final Map<DataBuffer, Object> OWNER = Collections.synchronizedMap(new IdentityHashMap<>());
    /**
     * Root buffer → the scope that created it or last took it from the {@link BufferPool}: a pooled buffer that
     * scope A gave back and scope B (perhaps on another thread) took is B's to answer for, not A's.
     */
    private static final Map<DataBuffer, ScopeRecord> CREATOR = Collections.synchronizedMap(new IdentityHashMap<>());
    private static final WeakIdentitySet PINNED = new WeakIdentitySet();
    private static final List<String> VIOLATIONS = Collections.synchronizedList(new ArrayList<>());

    static {
        if (ENABLED) install();
    }

    private Memcheck() {
    }

    /** What the check knows of one open scope. */
    static final class ScopeRecord {
        private final String openedAt;
        private final Set<DataBuffer> created = Collections.newSetFromMap(new IdentityHashMap<>());
        private final Set<DataBuffer> toCaller = Collections.newSetFromMap(new IdentityHashMap<>());

        ScopeRecord(String openedAt) {
            this.openedAt = openedAt;
        }

        String openedAt() {
            return openedAt;
        }
    }

    /** Violations found so far in this process (each message also thrown once). */
    public static List<String> violations() {
        synchronized (VIOLATIONS) {
            return List.copyOf(VIOLATIONS);
        }
    }

    /** Number of arrays currently owned by open scopes or unpopped tape frames (0 when nothing is in flight). */
    public static int ownedCount() {
        return OWNER.size();
    }

    // ---- hooks called by Scope, Tape, Tensors, BufferPool and Parameter (only when ENABLED) ----

    static ScopeRecord opened(Scope s) {
        String at = StackWalker.getInstance().walk(frames -> frames
                .filter(f -> !f.getClassName().equals(Scope.class.getName()) && !f.getClassName().equals(Memcheck.class.getName()))
                .findFirst().map(f -> f.getClassName().substring(f.getClassName().lastIndexOf('.') + 1) + "."
                        + f.getMethodName() + ":" + f.getLineNumber()).orElse("?"));
        return new ScopeRecord(at);
    }

    /** A buffer was created (by ND4J's factory or taken from the pool) on this thread. */
    static void created(DataBuffer b) {
        if (!counts(b)) return;
        DataBuffer r = root(b);
        Scope s = Scope.current();
        if (s == null || s.check == null) {
            CREATOR.remove(r); // a pooled buffer taken outside any scope: no scope answers for it any more
            return;
        }
        s.check.created.add(r);
        CREATOR.put(r, s.check);
    }

    static void tracked(Object owner, INDArray a) {
        DataBuffer r = root(a.data());
        Object before = OWNER.put(r, owner);
        if (before != null && before != owner) {
            violation("an array owned by " + before + " is now also claimed by " + owner + ": " + describe(a));
        }
    }

    /** {@code s} hands {@code a} on: to its parent (which tracks it next) or to the caller. */
    static void escaped(Scope s, INDArray a) {
        DataBuffer r = root(a.data());
        OWNER.remove(r);
        if (s.parent() == null) s.check.toCaller.add(r);
    }

    /** {@code s} gives {@code a} to a long-lived owner ({@link Scope#detach}). */
    static void detached(Scope s, INDArray a) {
        DataBuffer r = root(a.data());
        OWNER.remove(r);
        s.check.toCaller.add(r);
    }

    /** An array moves from a scope to a tape frame or back. */
    static void moved(Object from, Object to, INDArray a) {
        DataBuffer r = root(a.data());
        if (OWNER.get(r) == from) OWNER.put(r, to);
    }

    static void adoptingUntracked(Scope s, INDArray a) {
        Object owner = OWNER.get(root(a.data()));
        if (owner != null) violation(s + " adopts an array owned by " + owner + ", not by its enclosing scope: "
                + describe(a));
    }

    /** Called for every actual release (pool recycle or close), whoever asked for it. */
    static void freeing(INDArray a) {
        DataBuffer r = root(a.data());
        if (a.wasClosed() || r.wasClosed()) violation("double release of a closed array: " + describe(a));
        else if (BufferPool.isIdle(r)) violation("double release of a pooled array already given back: " + describe(a));
        if (PINNED.contains(r)) violation("release of a parameter's value or gradient: " + describe(a));
        OWNER.remove(r);
    }

    /** {@link Tensors#release}: only arrays that no scope or tape frame owns may be released directly. */
    static void releasingDirectly(INDArray a) {
        if (a.wasClosed()) return; // reported by freeing
        Object owner = OWNER.get(root(a.data()));
        if (owner != null) violation("release of an array owned by " + owner + " (only its owner releases it): "
                + describe(a));
    }

    static void pin(INDArray a) {
        if (a != null) PINNED.add(root(a.data()));
    }

    static void unpin(INDArray a) {
        if (a != null && !a.wasClosed()) PINNED.remove(root(a.data()));
    }

    static void closed(Scope s) {
        List<String> leaks = new ArrayList<>();
        synchronized (BufferPool.class) { // the pool's hand-overs are atomic with this check (see CREATOR)
            for (DataBuffer b : s.check.created) {
                boolean mine = CREATOR.remove(b, s.check);
                if (!mine || b.wasClosed() || BufferPool.isIdle(b) || s.check.toCaller.contains(b)
                        || OWNER.containsKey(b) || PINNED.contains(b)) continue;
                leaks.add(b.dataType() + "[" + b.length() + "]");
            }
        }
        s.check.created.clear();
        if (!leaks.isEmpty()) {
            violation(leaks.size() + " array(s) created in " + s + " neither released, returned nor saved: "
                    + String.join(", ", leaks.subList(0, Math.min(8, leaks.size()))));
        }
    }

    private static void violation(String message) {
        VIOLATIONS.add(message);
        throw new IllegalStateException("memcheck: " + message);
    }

    // ---- helpers ----

    static String describe(INDArray a) {
        if (a == null) return "null";
        if (a.wasClosed()) return a.dataType() + " (closed)";
        return a.dataType() + Arrays.toString(a.shape());
    }

    /** The buffer that owns the memory of b (b itself unless b is a view buffer). */
    static DataBuffer root(DataBuffer b) {
        while (b.originalDataBuffer() != null && b.originalDataBuffer() != b) b = b.originalDataBuffer();
        return b;
    }

    private static boolean counts(DataBuffer b) {
        return b.dataType().isFPType() && b.length() > 1 && b.originalDataBuffer() == null;
    }

    /** Wraps ND4J's buffer factory so that {@link #created} sees every new buffer. */
    private static void install() {
        try {
            DataBufferFactory real = Nd4j.getDataBufferFactory(); // initialises the backend first
            Field f = Nd4j.class.getDeclaredField("DATA_BUFFER_FACTORY_INSTANCE");
            f.setAccessible(true);
            if (Proxy.isProxyClass(real.getClass())) return;
            Object proxy = Proxy.newProxyInstance(Memcheck.class.getClassLoader(), new Class<?>[] {DataBufferFactory.class},
                    (p, m, args) -> {
                        Object r;
                        try {
                            r = m.invoke(real, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                        if (r instanceof DataBuffer b) created(b);
                        return r;
                    });
            f.set(null, proxy);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("clip4j.memcheck=true but ND4J's buffer factory could not be wrapped: " + e, e);
        }
    }

    /** A set of objects by identity that does not keep them alive. */
    private static final class WeakIdentitySet {
        private final Map<Integer, List<WeakReference<Object>>> buckets = new HashMap<>();
        private int sinceSweep;

        synchronized void add(Object o) {
            if (containsLocked(o)) return;
            buckets.computeIfAbsent(System.identityHashCode(o), k -> new ArrayList<>()).add(new WeakReference<>(o));
            if (++sinceSweep > 10_000) sweep();
        }

        synchronized void remove(Object o) {
            List<WeakReference<Object>> l = buckets.get(System.identityHashCode(o));
            if (l != null) l.removeIf(w -> w.get() == o || w.get() == null);
        }

        synchronized boolean contains(Object o) {
            return containsLocked(o);
        }

        private boolean containsLocked(Object o) {
            List<WeakReference<Object>> l = buckets.get(System.identityHashCode(o));
            if (l == null) return false;
            for (WeakReference<Object> w : l) if (w.get() == o) return true;
            return false;
        }

        private void sweep() {
            sinceSweep = 0;
            for (Iterator<List<WeakReference<Object>>> it = buckets.values().iterator(); it.hasNext(); ) {
                List<WeakReference<Object>> l = it.next();
                l.removeIf(w -> w.get() == null);
                if (l.isEmpty()) it.remove();
            }
        }
    }
}
