package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Pre-norm transformer block: {@code x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))}. State-dict order: attn, ln_1, mlp, ln_2. */
public final class ResidualAttentionBlock extends Module {
    private final MultiheadAttention attn;
    private final LayerNorm ln1;
    private final Mlp mlp;
    private final LayerNorm ln2;

    public ResidualAttentionBlock(String prefix, long width, long heads, double mlpRatio, Activation act,
                                  boolean causal) {
        super(prefix);
        this.attn = child(new MultiheadAttention(qualify("attn"), width, heads, causal));
        this.ln1 = child(new LayerNorm(qualify("ln_1"), width));
        this.mlp = child(new Mlp(qualify("mlp"), width, (long) (width * mlpRatio), act));
        this.ln2 = child(new LayerNorm(qualify("ln_2"), width));
    }

    public MultiheadAttention attn() {
        return attn;
    }

    public Mlp mlp() {
        return mlp;
    }

    public LayerNorm ln1() {
        return ln1;
    }

    public LayerNorm ln2() {
        return ln2;
    }

    /** What backward needs: arrays other layers' records refer to; both created by forward, owned by the tape. */
    private record Saved(
            INDArray h,   // [B, T, W]: ln_1's output, the attention's input (its in_proj record refers to it)
            INDArray h2)  // [B, T, W]: ln_2's output, the MLP's input (its c_fc record refers to it)
    {
    }

    /** {@code x}: [B, T, W] (borrowed, not kept) → new [B, T, W]. */
    public INDArray forward(INDArray x, Tape tape) {
        try (Scope s = Scope.open()) {
            INDArray h = ln1.forward(x, tape);  // [B, T, W]
            INDArray a = attn.forward(h, tape);
            INDArray x1 = a.addi(x);            // residual, in place on the attention output
            INDArray h2 = ln2.forward(x1, tape);
            INDArray m = mlp.forward(h2, tape);
            INDArray y = m.addi(x1);            // residual
            s.release(x1);
            if (tape != null) tape.save(this, new Saved(h, h2), s);
            else s.release(h, h2);
            emit(name(), () -> y);
            return s.ret(y);
        }
    }

    /**
     * {@code dy}: [B, T, W] → new dx. The residual branches add their gradients to the identity path. Pops its
     * record first: h and h2 live until this backward returns, after the projections that read them.
     */
    public INDArray backward(INDArray dy, Tape tape) {
        try (Scope s = Scope.open()) {
            tape.pop(this, Saved.class, s);
            INDArray dh2 = mlp.backward(dy, tape);
            INDArray dx1 = ln2.backward(dh2, tape).addi(dy); // d x1 = dy + ln_2 path
            s.release(dh2);
            INDArray dh = attn.backward(dx1, tape);
            INDArray dx = ln1.backward(dh, tape).addi(dx1);
            return s.ret(dx);
        }
    }
}
