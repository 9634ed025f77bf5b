package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
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

    /** {@code ids}: integer array [B, T] (borrowed, not kept) → new [B, T, W]. */
    public INDArray forward(INDArray ids, Tape tape) {
        int[] flat = checkedIds(ids);
        long[] shape = {ids.size(0), ids.size(1), width};
        INDArray out = Nd4j.create(weight.value().dataType(), shape); // [B, T, W]
        Nd4j.pullRows(weight.value(), Tensors.rows(out), 1, flat);
        if (tape != null) tape.push(this).value(flat);
        return out;
    }

    /** Accumulates {@code dweight[id] += dy[b, t]} for every position; returns nothing (ids have no gradient). */
    public void backward(INDArray dy, Tape tape) {
        try (Tape.Frame f = tape.pop(this)) {
            int[] flat = f.get(0);
            INDArray dy2 = Tensors.rows(dy); // [B*T, W]
            INDArray g = weight.grad();
            // A plain loop: one row add per token, exact for repeated ids (no racing parallel scatter).
            for (int i = 0; i < flat.length; i++) g.getRow(flat[i]).addi(dy2.getRow(i));
        }
    }

    private int[] checkedIds(INDArray ids) {
        if (ids.rank() != 2 || ids.dataType().isFPType()) {
            throw new IllegalArgumentException(name() + ": expected integer token ids of shape [batch, tokens], got "
                    + ids.dataType() + java.util.Arrays.toString(ids.shape()));
        }
        INDArray c = ids.dup('c');
        long[] v = c.data().asLong();
        Tensors.release(c);
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
