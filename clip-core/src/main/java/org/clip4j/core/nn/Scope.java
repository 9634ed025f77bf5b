package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * An arena for the native arrays of one method call: what the method creates and {@linkplain #track tracks} is
 * freed when the {@code try} block ends, on the normal path and when an exception is thrown, unless it was
 * {@linkplain #ret returned} or saved on the {@link Tape}. In the spirit of DJL's {@code NDManager.newSubManager()}
 * and {@code ret(x)}:
 *
 * <pre>{@code
 * public INDArray forward(INDArray x, Tape tape) {        // x: borrowed
 *     try (Scope s = Scope.open()) {
 *         INDArray h = norm.forward(x, tape);             // a layer's result belongs to the caller's scope
 *         INDArray y = s.track(h.mul(2));                 // a temporary of this method
 *         if (tape != null) tape.save(this, new Saved(h), s); // h now lives until backward
 *         return s.ret(y);                                // y goes to the caller; h (if not saved) is freed
 *     }
 * }
 * }</pre>
 *
 * <p>Scopes nest per thread: {@link #ret} hands an array to the scope that was open when this one was opened (so
 * a layer never tracks what a child layer returned: it is already its own), or, at the outermost level, to the
 * caller, who then owns it. {@link #adopt} takes over an array from the enclosing scope (an argument the caller
 * donates, for in-place reuse). The full rule is in the package documentation; {@link Memcheck} checks it.
 *
 * <p>Not thread-safe: a scope belongs to the thread that opened it, and scopes close in reverse order of opening.
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<Scope> CURRENT = new ThreadLocal<>();

    private final Scope parent;
    private final Thread thread;
    private final Set<INDArray> owned = Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<INDArray> order = new ArrayList<>(); // release order (reverse of tracking)
    final Memcheck.ScopeRecord check; // null unless memcheck is on
    private boolean closed;

    private Scope(Scope parent) {
        this.parent = parent;
        this.thread = Thread.currentThread();
        this.check = Memcheck.ENABLED ? Memcheck.opened(this) : null;
    }

    /** Opens a scope nested in the current thread's innermost open scope (if any). Close it with try-with-resources. */
    public static Scope open() {
        Scope s = new Scope(CURRENT.get());
        CURRENT.set(s);
        return s;
    }

    /** The innermost open scope of this thread, or null. */
    public static Scope current() {
        return CURRENT.get();
    }

    /**
     * Runs {@code r} outside every scope of this thread: arrays it creates belong to it, not to the scopes that
     * are open around the call (which are current again afterwards). For code a layer calls that is not part of
     * its computation, such as a {@link Probe} that copies an intermediate to keep it.
     */
    static void outside(Runnable r) {
        Scope open = CURRENT.get();
        CURRENT.set(null);
        try {
            r.run();
        } finally {
            CURRENT.set(open);
        }
    }

    /** The scope that was innermost when this one opened, or null. */
    Scope parent() {
        return parent;
    }

    /**
     * This scope now owns {@code a} (an array this method created, or a pooled array, or a view that stands for
     * its pooled buffer as {@link Tensors#create4} returns): it is released when the scope closes unless returned
     * or saved before. Returns a. Tracking an array twice is an error.
     */
    public INDArray track(INDArray a) {
        ensureOpen();
        if (a == null) return null;
        if (!owned.add(a)) throw new IllegalStateException("array tracked twice by " + this);
        order.add(a);
        if (check != null) Memcheck.tracked(this, a);
        return a;
    }

    /** {@link #track}s each array. */
    public void track(INDArray... arrays) {
        for (INDArray a : arrays) track(a);
    }

    /**
     * Takes over {@code a} from the enclosing scope, which must own it (a donated argument): it is then this
     * scope's to release, overwrite or return. Outside any enclosing scope the caller's ownership moves here.
     */
    public INDArray adopt(INDArray a) {
        ensureOpen();
        if (parent != null && parent.owned.contains(a)) {
            parent.forget(a);
            if (check != null) Memcheck.moved(parent, this, a);
        } else if (check != null) Memcheck.adoptingUntracked(this, a);
        return track(a);
    }

    /** True if this scope owns {@code a}. */
    public boolean owns(INDArray a) {
        return owned.contains(a);
    }

    /**
     * Hands {@code a}, which this scope owns, to the enclosing scope (or, at the outermost level, to the caller)
     * and returns it.
     */
    public INDArray ret(INDArray a) {
        ensureOpen();
        if (a == null) return null;
        if (!owned.contains(a)) {
            throw new IllegalStateException("ret of an array " + this + " does not own (only arrays it tracks can "
                    + "be returned): " + Memcheck.describe(a));
        }
        forget(a);
        if (check != null) Memcheck.escaped(this, a);
        if (parent != null) parent.track(a);
        return a;
    }

    /**
     * Gives {@code a}, which this scope owns, to a long-lived owner outside the scope chain (an optimiser's state,
     * a classifier's weights, a cache): no scope frees it any more, and that owner must release it. Returns a.
     */
    public INDArray detach(INDArray a) {
        ensureOpen();
        if (!owned.contains(a)) {
            throw new IllegalStateException("detach of an array " + this + " does not own: " + Memcheck.describe(a));
        }
        forget(a);
        if (check != null) Memcheck.detached(this, a);
        return a;
    }

    /** Releases owned arrays now (to lower the peak) instead of at the end of the scope. */
    public void release(INDArray... arrays) {
        ensureOpen();
        for (INDArray a : arrays) {
            if (a == null) continue;
            if (!owned.contains(a)) {
                throw new IllegalStateException("release of an array " + this + " does not own: "
                        + Memcheck.describe(a));
            }
            forget(a);
            Tensors.free(a);
        }
    }

    /** Removes {@code a} from this scope without releasing it (its ownership moves elsewhere). */
    void forget(INDArray a) {
        owned.remove(a);
        for (int i = order.size() - 1; i >= 0; i--) {
            if (order.get(i) == a) {
                order.remove(i);
                break;
            }
        }
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException(this + " is closed");
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException(this + " belongs to thread " + thread.getName() + ", used from "
                    + Thread.currentThread().getName());
        }
    }

    /** Releases every array still owned, newest first, and makes the enclosing scope current again. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (CURRENT.get() != this) {
            CURRENT.set(parent); // keep the thread usable, then report
            throw new IllegalStateException(this + " closed out of order (scopes close in reverse order of opening)");
        }
        CURRENT.set(parent);
        Throwable failure = null;
        for (int i = order.size() - 1; i >= 0; i--) {
            try {
                Tensors.free(order.get(i));
            } catch (RuntimeException e) {
                if (failure == null) failure = e;
            }
        }
        owned.clear();
        order.clear();
        if (check != null) Memcheck.closed(this);
        if (failure instanceof RuntimeException r) throw r;
    }

    @Override
    public String toString() {
        return check != null ? "scope opened at " + check.openedAt() : "scope@" + Integer.toHexString(hashCode());
    }
}
