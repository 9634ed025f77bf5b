package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scatter.ScatterAdd;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Token embedding lookup: {@code weight} [V, W], ids [B, T] → [B, T, W]. Backward scatter-adds each row's
 * gradient into its id's row, so ids that occur several times (padding, repeated words) get the sum.
 */
public final class Embedding extends Module {
    private final Parameter weight;
    private final long vocab;
    private final long width;

    public Embedding(String prefix, long vocab, long width) {
        super(prefix);
        this.vocab = vocab;
        this.width = width;
        this.weight = param("weight", vocab, width);
    }

    public Parameter weight() {
        return weight;
    }

    /** What backward needs: no array, only the ids (on the Java heap). */
    private record Saved(int[] ids) { // [B·T] token ids, row-major
    }

    /** {@code ids}: integer array [B, T] (borrowed, not kept) → new [B, T, W]. */
    public INDArray forward(INDArray ids, Tape tape) {
        try (Scope s = Scope.open()) {
            int[] flat = checkedIds(ids, s);
            long[] shape = {ids.size(0), ids.size(1), width};
            INDArray out = s.track(Nd4j.create(weight.value().dataType(), shape)); // [B, T, W]
            Nd4j.pullRows(weight.value(), Tensors.rows(out), 1, flat);
            if (tape != null) tape.save(this, new Saved(flat), s);
            return s.ret(out);
        }
    }

    /**
     * Accumulates {@code dweight[id] += dy[b, t]} for every position; returns nothing (ids have no gradient).
     *
     * <p>Positions are first summed per distinct id on the Java side (in double), so the single native
     * scatter-add that follows sees every row index once: no race between repeated ids, and one op per call
     * instead of one per token.
     */
    public void backward(INDArray dy, Tape tape) {
        try (Scope s = Scope.open()) {
            int[] flat = tape.pop(this, Saved.class, s).ids();
            INDArray dyC = s.track(Tensors.rows(dy).dup('c')); // [B*T, W]
            double[] rows = dyC.data().asDouble();
            s.release(dyC);
            int w = (int) width;
            java.util.Map<Integer, Integer> slotOf = new java.util.LinkedHashMap<>(); // id → slot, first-seen order
            for (int id : flat) slotOf.putIfAbsent(id, slotOf.size());
            double[] sums = new double[slotOf.size() * w]; // [distinct ids, W]
            for (int i = 0; i < flat.length; i++) {
                int base = slotOf.get(flat[i]) * w;
                for (int k = 0; k < w; k++) sums[base + k] += rows[i * w + k];
            }
            int[] ids = new int[slotOf.size()];
            for (var e : slotOf.entrySet()) ids[e.getValue()] = e.getKey();
            INDArray g = weight.grad();
            INDArray updates = s.track(Nd4j.create(sums, new long[] {ids.length, width}, g.dataType()));
            INDArray indices = s.track(Nd4j.createFromArray(ids));
            ScatterAdd op = new ScatterAdd(g, indices, updates); // indices are distinct: no write conflicts
            op.addOutputArgument(g);                              // in place on the gradient
            Nd4j.exec(op);
        }
    }

    /** The ids as Java ints, checked against the vocabulary (the C-ordered copy read is tracked by s). */
    private int[] checkedIds(INDArray ids, Scope s) {
        if (ids.rank() != 2 || ids.dataType().isFPType()) {
            throw new IllegalArgumentException(name() + ": expected integer token ids of shape [batch, tokens], got "
                    + ids.dataType() + java.util.Arrays.toString(ids.shape()));
        }
        INDArray c = s.track(ids.dup('c'));
        long[] v = c.data().asLong();
        s.release(c);
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0 || v[i] >= vocab) {
                throw new org.clip4j.core.ClipException(name() + ": token id " + v[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
            out[i] = (int) v[i];
        }
        return out;
    }
}
