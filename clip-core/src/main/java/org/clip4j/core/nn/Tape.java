package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Per-step record of what backward needs: a stack of {@link Frame}s, one per forward call.
 *
 * <p>Forward pushes a frame ({@code tape.push(this)}), backward pops it ({@code tape.pop(this)}) in reverse
 * order. The owner check catches a backward called out of order. Closing the tape releases whatever frames were
 * never popped (for example after an exception or a forward-only evaluation in training mode).
 */
public final class Tape implements AutoCloseable {
    private final Deque<Frame> frames = new ArrayDeque<>();

    /** Starts a frame for {@code owner}'s current forward call. */
    public Frame push(Object owner) {
        Frame f = new Frame(owner);
        frames.push(f);
        return f;
    }

    /** Pops the newest frame, which must belong to {@code owner}. Close it when backward is done. */
    public Frame pop(Object owner) {
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

    /** The values one forward call saved for its backward, read back in the order they were added. */
    public static final class Frame implements AutoCloseable {
        private final Object owner;
        private final List<Object> items = new ArrayList<>();
        private final List<INDArray> owned = new ArrayList<>();

        private Frame(Object owner) {
            this.owner = owner;
        }

        /** Saves an array the module created; it is released when the frame is closed. */
        public Frame keep(INDArray a) {
            items.add(a);
            owned.add(a);
            return this;
        }

        /** Saves a reference to a borrowed array (the caller keeps it alive until backward). */
        public Frame ref(INDArray a) {
            items.add(a);
            return this;
        }

        /** Saves any other value (index arrays, shapes). */
        public Frame value(Object o) {
            items.add(o);
            return this;
        }

        /** The i-th saved array. */
        public INDArray array(int i) {
            return (INDArray) items.get(i);
        }

        /** The i-th saved value. */
        @SuppressWarnings("unchecked")
        public <T> T get(int i) {
            return (T) items.get(i);
        }

        @Override
        public void close() {
            for (INDArray a : owned) Tensors.release(a);
            owned.clear();
            items.clear();
        }
    }
}
