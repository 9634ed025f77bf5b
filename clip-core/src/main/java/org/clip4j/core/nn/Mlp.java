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

    /** {@code x}: [..., W] (borrowed; referenced by c_fc) → new [..., W]. */
    public INDArray forward(INDArray x, Tape tape) {
        INDArray u = fc.forward(x, tape); // [..., hidden], pre-activation
        INDArray h = act.forward(u);      // [..., hidden]
        INDArray y = proj.forward(h, tape);
        if (tape != null) {
            tape.push(this).keep(u).keep(h); // h is referenced by c_proj's frame
        } else {
            Tensors.release(u, h);
        }
        return y;
    }

    public INDArray backward(INDArray dy, Tape tape) {
        try (Tape.Frame f = tape.pop(this)) {
            INDArray u = f.array(0);
            INDArray dh = proj.backward(dy, tape);
            INDArray du = act.backward(u, dh);
            Tensors.release(dh);
            INDArray dx = fc.backward(du, tape);
            Tensors.release(du);
            return dx;
        }
    }
}
