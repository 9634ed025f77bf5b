package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;

/** A stack of {@link ResidualAttentionBlock}s named {@code prefix.resblocks.i}. */
public final class Transformer extends Module {
    private final List<ResidualAttentionBlock> blocks = new ArrayList<>();

    public Transformer(String prefix, long width, int layers, long heads, double mlpRatio, Activation act,
                       boolean causal) {
        super(prefix);
        for (int i = 0; i < layers; i++) {
            blocks.add(child(new ResidualAttentionBlock(qualify("resblocks." + i), width, heads, mlpRatio, act,
                    causal)));
        }
    }

    public List<ResidualAttentionBlock> blocks() {
        return List.copyOf(blocks);
    }

    /** {@code x}: [B, T, W] (borrowed) → new [B, T, W]. Block inputs are not needed by backward. */
    public INDArray forward(INDArray x, Tape tape) {
        INDArray h = x;
        for (ResidualAttentionBlock block : blocks) {
            INDArray next = block.forward(h, tape);
            if (h != x) Tensors.release(h);
            h = next;
        }
        return h == x ? x.dup('c') : h;
    }

    public INDArray backward(INDArray dy, Tape tape) {
        INDArray g = dy;
        for (int i = blocks.size() - 1; i >= 0; i--) {
            INDArray next = blocks.get(i).backward(g, tape);
            if (g != dy) Tensors.release(g);
            g = next;
        }
        return g == dy ? dy.dup('c') : g;
    }
}
