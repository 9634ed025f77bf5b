package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/** The transformer feed-forward block: {@code c_proj(act(c_fc(x)))}, width W → hidden → W. */
public final class Mlp extends Module {
    private final Linear fc;
    private final Linear proj;
    private final Activation act;

    public Mlp(String prefix, long width, long hidden, Activation act) {
        super(prefix);
        this.fc = child(new Linear(qualify("c_fc"), width, hidden, true));
        this.proj = child(new Linear(qualify("c_proj"), hidden, width, true));
        this.act = act;
    }

    public Linear fc() {
        return fc;
    }

    public Linear proj() {
        return proj;
    }

    /** What backward needs; both arrays are created by forward and owned by the tape. */
    private record Saved(
            INDArray u,  // [..., hidden]: c_fc's output, the activation's input
            INDArray h)  // [..., hidden]: the activation, c_proj's input (its record refers to it)
    {
    }

    /** {@code x}: [..., W] (borrowed; referenced by c_fc) → new [..., W]. */
    public INDArray forward(INDArray x, Tape tape) {
        try (Scope s = Scope.open()) {
            INDArray u = fc.forward(x, tape); // [..., hidden], pre-activation
            INDArray h = act.forward(u);      // [..., hidden]
            INDArray y = proj.forward(h, tape);
            if (tape != null) tape.save(this, new Saved(u, h), s);
            return s.ret(y);
        }
    }

    /** {@code dy}: [..., W] → new dx [..., W]. Pops first, so h outlives c_proj's backward (which reads it). */
    public INDArray backward(INDArray dy, Tape tape) {
        try (Scope s = Scope.open()) {
            Saved saved = tape.pop(this, Saved.class, s);
            INDArray dh = proj.backward(dy, tape);
            INDArray du = act.backward(saved.u(), saved.h(), dh);
            s.release(dh);
            return s.ret(fc.backward(du, tape));
        }
    }
}
