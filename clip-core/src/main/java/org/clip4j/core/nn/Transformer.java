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

    /**
     * PyTorch's default initialisation of these layers (what the reference leaves in place for the vision
     * transformer): MHA in_proj xavier-uniform with zero biases, out_proj weight U(±1/√W) with zero bias, MLP
     * weights and biases U(±1/√fan_in), LayerNorm 1 and 0.
     */
    public void resetParameters(Init init) {
        for (ResidualAttentionBlock b : blocks) {
            init.xavierUniform(b.attn().inProj().weight());
            init.constant(b.attn().inProj().bias(), 0);
            init.torchDefaultWeight(b.attn().outProj().weight());
            init.constant(b.attn().outProj().bias(), 0);
            for (LayerNorm ln : List.of(b.ln1(), b.ln2())) {
                init.constant(ln.weight(), 1);
                init.constant(ln.bias(), 0);
            }
            for (Linear l : List.of(b.mlp().fc(), b.mlp().proj())) {
                init.torchDefaultWeight(l.weight());
                init.uniform(l.bias(), 1.0 / Math.sqrt(l.inFeatures()));
            }
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
