package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Per-step record of what backward needs: a stack of frames, one per forward call, each holding one typed record.
 *
 * <p>Forward saves a record of its own type, with shape comments on its components
 * ({@code record Saved(INDArray x, INDArray h) {}}), by {@code tape.save(this, new Saved(x, h), scope)};
 * backward gets it back with {@code tape.pop(this, Saved.class, scope)}, in reverse order of the forwards. Both
 * the owner and the record type are checked, so a backward called out of order, or a forward that saves
 * something else than its backward reads, fails at once instead of computing with the wrong arrays.
 *
 * <p>Ownership: the arrays of the record that the forward's scope owns move to the tape when saved (they are no
 * longer freed at the end of the forward); the others are borrowed references, which the caller keeps alive
 * until the matching backward has run. {@code pop} hands the owned arrays to the backward's scope, so they live
 * until that backward returns: child backwards called from it may still read them. Closing the tape releases
 * whatever frames were never popped (after an exception, or a forward-only evaluation in training mode).
 */
public final class Tape implements AutoCloseable {
    private final Deque<Frame> frames = new ArrayDeque<>();

    /**
     * Saves {@code saved} for {@code owner}'s backward. Array components (also inside {@code INDArray[]}
     * components) that {@code scope} owns move to the tape; the others are kept by reference. Returns saved.
     */
    public <S extends Record> S save(Object owner, S saved, Scope scope) {
        Frame f = new Frame(owner);
        f.items.add(saved);
        for (INDArray a : arraysOf(saved)) {
            // by identity: List.contains would call INDArray.equals, a value comparison run by an ND4J op
            if (a != null && scope.owns(a) && !containsIdentical(f.owned, a)) {
                scope.forget(a);
                if (Memcheck.ENABLED) Memcheck.moved(scope, f, a);
                f.owned.add(a);
            }
        }
        frames.push(f);
        return saved;
    }

    private static boolean containsIdentical(List<INDArray> list, INDArray a) {
        for (INDArray b : list) if (b == a) return true;
        return false;
    }

    /**
     * Pops the newest frame, which must belong to {@code owner} and hold a {@code type} record; the arrays the
     * tape owned now belong to {@code scope} (the backward's), which frees them when the backward ends.
     */
    public <S extends Record> S pop(Object owner, Class<S> type, Scope scope) {
        Frame f = pop(owner);
        Object saved = f.items.isEmpty() ? null : f.items.get(0);
        if (!type.isInstance(saved)) {
            frames.push(f); // leave the tape as it was: close() still frees the frame
            throw new IllegalStateException("tape: backward of " + owner + " expected a " + type.getSimpleName()
                    + " record, found " + (saved == null ? "a positional frame" : saved.getClass().getSimpleName()));
        }
        for (INDArray a : f.owned) {
            if (Memcheck.ENABLED) Memcheck.moved(f, scope, a);
            scope.track(a);
        }
        f.owned.clear();
        f.items.clear();
        return type.cast(saved);
    }

    private static final ClassValue<Method[]> ARRAY_ACCESSORS = new ClassValue<>() {
        @Override
        protected Method[] computeValue(Class<?> c) {
            List<Method> out = new ArrayList<>();
            for (RecordComponent rc : c.getRecordComponents()) {
                Class<?> t = rc.getType();
                if (INDArray.class.isAssignableFrom(t) || t == INDArray[].class) {
                    Method m = rc.getAccessor();
                    m.setAccessible(true);
                    out.add(m);
                }
            }
            return out.toArray(new Method[0]);
        }
    };

    /** The array components of a record (flattening INDArray[] components). */
    private static List<INDArray> arraysOf(Record r) {
        List<INDArray> out = new ArrayList<>();
        try {
            for (Method m : ARRAY_ACCESSORS.get(r.getClass())) {
                Object v = m.invoke(r);
                if (v instanceof INDArray a) out.add(a);
                else if (v instanceof INDArray[] arr) for (INDArray a : arr) out.add(a);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("tape: cannot read the arrays of " + r.getClass().getName(), e);
        }
        return out;
    }

    /** Pops the newest frame, which must belong to {@code owner}. */
    private Frame pop(Object owner) {
        Frame f = frames.poll();
        if (f == null) throw new IllegalStateException("tape is empty: backward without forward for " + owner);
        if (f.owner != owner) {
            throw new IllegalStateException("tape out of order: backward of " + owner + " found the frame of "
                    + f.owner);
        }
        return f;
    }

    /** Number of frames not yet popped. */
    public int size() {
        return frames.size();
    }

    @Override
    public void close() {
        while (!frames.isEmpty()) frames.pop().close();
    }

    /** One forward call's record and the arrays of it that the tape owns (freed if the frame is never popped). */
    private static final class Frame implements AutoCloseable {
        private final Object owner;
        private final List<Object> items = new ArrayList<>(); // the record (one element) until popped
        private final List<INDArray> owned = new ArrayList<>();

        private Frame(Object owner) {
            this.owner = owner;
        }

        @Override
        public String toString() {
            return "tape frame of " + owner;
        }

        @Override
        public void close() {
            for (INDArray a : owned) Tensors.free(a);
            owned.clear();
            items.clear();
        }
    }
}
