package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;

/**
 * A stack of {@link ResidualAttentionBlock}s named {@code prefix.resblocks.i}.
 *
 * <p>With {@link #setRecompute(boolean) recompute} on (activation recompute, "gradient checkpointing" per
 * residual block, OpenCLIP's {@code --grad-checkpointing}), a training forward keeps only each block's input
 * ({@code [B, T, W]}) instead of the dozen activations a block saves for backward; backward runs each block's
 * forward again, with a short-lived tape, right before its backward. Same gradients, one extra block forward
 * each, activation memory of one block plus the block inputs.
 */
public final class Transformer extends Module {
    private final List<ResidualAttentionBlock> blocks = new ArrayList<>();
    private volatile boolean recompute;

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

    /** Activation recompute per block in training forwards (see the class comment); off by default. */
    public void setRecompute(boolean on) {
        this.recompute = on;
    }

    public boolean isRecompute() {
        return recompute;
    }

    /** With recompute, what backward needs: each block's input, created by forward and owned by the tape. */
    private record Inputs(INDArray[] blocks) { // per block i: its input [B, T, W] (block 0's a copy of x)
    }

    /** {@code x}: [B, T, W] (borrowed) → new [B, T, W]. Block inputs are not needed by backward. */
    public INDArray forward(INDArray x, Tape tape) {
        if (tape != null && recompute) return forwardKeepingInputs(x, tape);
        try (Scope s = Scope.open()) {
            INDArray h = x;
            for (ResidualAttentionBlock block : blocks) {
                INDArray next = block.forward(h, tape);
                if (h != x) s.release(h);
                h = next;
            }
            return s.ret(h == x ? s.track(x.dup('c')) : h);
        }
    }

    /** Forward without block activations; the tape keeps each block's input for {@link #backward}. */
    private INDArray forwardKeepingInputs(INDArray x, Tape tape) {
        try (Scope s = Scope.open()) {
            INDArray[] inputs = new INDArray[blocks.size()];
            INDArray h = x;
            for (int i = 0; i < blocks.size(); i++) {
                inputs[i] = h == x ? s.track(x.dup('c')) : h; // block input [B, T, W]
                h = blocks.get(i).forward(h, null);
            }
            tape.save(this, new Inputs(inputs), s);
            return s.ret(h == x ? s.track(x.dup('c')) : h);
        }
    }

    /** {@code dy}: [B, T, W] (borrowed) → new dx [B, T, W]. */
    public INDArray backward(INDArray dy, Tape tape) {
        if (recompute) return backwardRecomputing(dy, tape);
        try (Scope s = Scope.open()) {
            INDArray g = dy;
            for (int i = blocks.size() - 1; i >= 0; i--) {
                INDArray next = blocks.get(i).backward(g, tape);
                if (g != dy) s.release(g);
                g = next;
            }
            return s.ret(g == dy ? s.track(dy.dup('c')) : g);
        }
    }

    /**
     * Per block, last first: forward again from the kept input with a short-lived tape, then backward; the
     * block's input is freed as soon as its backward is done.
     */
    private INDArray backwardRecomputing(INDArray dy, Tape tape) {
        try (Scope s = Scope.open()) {
            INDArray[] inputs = tape.pop(this, Inputs.class, s).blocks();
            INDArray g = dy;
            for (int i = blocks.size() - 1; i >= 0; i--) {
                INDArray next;
                try (Tape local = new Tape()) {
                    s.release(blocks.get(i).forward(inputs[i], local));
                    next = blocks.get(i).backward(g, local);
                }
                s.release(inputs[i]);
                if (g != dy) s.release(g);
                g = next;
            }
            return s.ret(g == dy ? s.track(dy.dup('c')) : g);
        }
    }
}
