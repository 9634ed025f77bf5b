package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;

import static org.nd4j.linalg.indexing.NDArrayIndex.point;

/**
 * Multi-head self-attention as PyTorch's {@code nn.MultiheadAttention} with a packed input projection:
 * {@code in_proj_weight} [3W, W] (rows: q, then k, then v), {@code in_proj_bias} [3W], {@code out_proj} W → W.
 * Works batch-first on [B, T, W]; an optional causal mask lets position t attend to positions ≤ t only.
 *
 * <p>Lifetimes on the tape: out_proj's record refers to {@code ctx} (its input) without owning it; ctx belongs
 * to this module's own record. A forward saves out_proj's record before its own, so backward pops this module's
 * record first: with {@link Tape#pop(Object, Class, Scope)} its arrays move into the backward's scope and live
 * until this backward returns, that is after out_proj's backward, which it calls, has read ctx. The order is no
 * longer a convention to remember but follows from the scope structure.
 */
public final class MultiheadAttention extends Module {
    private final Linear inProj;
    private final Linear outProj;
    private final long width;
    private final long heads;
    private final long headDim;
    private final boolean causal;

    public MultiheadAttention(String prefix, long width, long heads, boolean causal) {
        super(prefix);
        if (heads <= 0 || width % heads != 0) {
            throw new IllegalArgumentException(prefix + ": width " + width + " is not divisible by " + heads
                    + " heads");
        }
        this.width = width;
        this.heads = heads;
        this.headDim = width / heads;
        this.causal = causal;
        this.inProj = child(new Linear(prefix, "in_proj_weight", "in_proj_bias", width, 3 * width));
        this.outProj = child(new Linear(qualify("out_proj"), width, width, true));
    }

    public Linear inProj() {
        return inProj;
    }

    public Linear outProj() {
        return outProj;
    }

    public long heads() {
        return heads;
    }

    /** What backward needs; all three arrays are created by forward and owned by the tape. */
    private record Saved(
            INDArray qkvh, // [3, B, H, T, hd]: q (already scaled by 1/sqrt(hd)), k, v split into heads
            INDArray p,    // [B, H, T, T]: attention probabilities
            INDArray ctx)  // [B, T, W]: merged heads, out_proj's input (its record refers to it)
    {
    }

    /** {@code x}: [B, T, W] (borrowed, referenced by the input projection) → new [B, T, W]. */
    public INDArray forward(INDArray x, Tape tape) {
        try (Scope s = Scope.open()) {
            long b = x.size(0), t = x.size(1);
            DataType type = x.dataType();
            INDArray qkv = inProj.forward(x, tape); // [B, T, 3W]
            // Split heads: [B, T, 3, H, hd] → [3, B, H, T, hd], one contiguous copy.
            INDArray qkvh = s.track(BufferPool.create(type, 3, b, heads, t, headDim));
            // Scale q (not the scores) by 1/sqrt(hd), as PyTorch does: keeps dot products of unit variance.
            double qScale = 1.0 / Math.sqrt(headDim);
            if (Kernels.applies(qkv, qkvh)) {
                Kernels.toHeads(qkv, qkvh, (int) b, (int) t, 3, (int) heads, (int) headDim, (float) qScale);
            } else {
                qkvh.assign(qkv.reshape('c', b, t, 3, heads, headDim).permute(2, 0, 3, 1, 4));
                qkvh.get(point(0)).muli(qScale);
            }
            s.release(qkv);
            INDArray q = qkvh.get(point(0)); // [B, H, T, hd] views
            INDArray k = qkvh.get(point(1));
            INDArray v = qkvh.get(point(2));

            INDArray p = s.track(BufferPool.create(type, b, heads, t, t));      // scores [B, H, T, T]
            Precision.matmul(q, k, p, false, true, precision());
            if (causal) {
                INDArray mask = s.track(causalMask(t, p.dataType()));
                p.addi(mask); // broadcast over [B, H]
                s.release(mask);
            }
            softmaxLastInPlace(p);                                              // probabilities
            INDArray o = s.track(BufferPool.create(type, b, heads, t, headDim)); // [B, H, T, hd]
            Precision.matmul(p, v, o, false, false, precision());
            // Merge heads: [B, H, T, hd] → [B, T, H, hd] = [B, T, W].
            INDArray ctx = s.track(BufferPool.create(type, b, t, heads, headDim));
            if (Kernels.applies(o, ctx)) Kernels.fromHeads(o, ctx, (int) b, (int) t, 1, (int) heads, (int) headDim, 1f);
            else ctx.assign(o.permute(0, 2, 1, 3));
            s.release(o);
            INDArray y = outProj.forward(ctx.reshape('c', b, t, width), tape); // [B, T, W]
            if (tape != null) tape.save(this, new Saved(qkvh, p, ctx), s);
            return s.ret(y);
        }
    }

    /** {@code dy}: [B, T, W] → new dx [B, T, W]. */
    public INDArray backward(INDArray dy, Tape tape) {
        try (Scope s = Scope.open()) {
            Saved saved = tape.pop(this, Saved.class, s); // first: ctx must outlive out_proj's backward below
            INDArray qkvh = saved.qkvh(), p = saved.p();
            long b = dy.size(0), t = dy.size(1);
            DataType type = dy.dataType();
            INDArray q = qkvh.get(point(0)), k = qkvh.get(point(1)), v = qkvh.get(point(2));

            INDArray dctx = outProj.backward(dy, tape); // [B, T, W]
            // [B, T, W] → [B, H, T, hd]
            INDArray dO = s.track(BufferPool.create(type, b, heads, t, headDim));
            if (Kernels.applies(dctx, dO)) Kernels.toHeads(dctx, dO, (int) b, (int) t, 1, (int) heads, (int) headDim, 1f);
            else dO.assign(dctx.reshape('c', b, t, heads, headDim).permute(0, 2, 1, 3));
            s.release(dctx);

            INDArray dqkvh = s.track(BufferPool.create(type, 3, b, heads, t, headDim)); // every slice written below
            Precision.matmul(p, dO, dqkvh.get(point(2)), true, false, precision()); // dV = Pᵀ dO
            INDArray dS = s.track(BufferPool.create(type, b, heads, t, t));           // dP = dO Vᵀ [B, H, T, T]
            Precision.matmul(dO, v, dS, false, true, precision());
            s.release(dO);
            if (Kernels.applies(p, dS)) Kernels.softmaxBackwardInPlace(p, dS);
            else softmaxBackwardInPlace(p, dS);                           // dS = P ∘ (dP − Σ dP∘P)
            Precision.matmul(dS, k, dqkvh.get(point(0)), false, false, precision()); // d(scaled q) = dS K
            Precision.matmul(dS, q, dqkvh.get(point(1)), true, false, precision());  // dK = dSᵀ q_scaled
            s.release(dS);

            // [3, B, H, T, hd] → [B, T, 3, H, hd] = [B, T, 3W]; dq times 1/sqrt(hd): the chain rule through the
            // q scaling
            double qScale = 1.0 / Math.sqrt(headDim);
            INDArray dqkv = s.track(BufferPool.create(type, b, t, 3, heads, headDim));
            if (Kernels.applies(dqkvh, dqkv)) {
                Kernels.fromHeads(dqkvh, dqkv, (int) b, (int) t, 3, (int) heads, (int) headDim, (float) qScale);
            } else {
                dqkvh.get(point(0)).muli(qScale);
                dqkv.assign(dqkvh.permute(1, 3, 0, 2, 4));
            }
            s.release(dqkvh);
            INDArray dx = inProj.backward(dqkv.reshape('c', b, t, 3 * width), tape);
            return s.ret(dx);
        }
    }

    /**
     * [T, T] additive mask: 0 on and below the diagonal, −∞ above (as the reference's causal mask). A new array,
     * not tracked (the caller tracks it).
     */
    static INDArray causalMask(long t, org.nd4j.linalg.api.buffer.DataType type) {
        double[] m = new double[Math.toIntExact(t * t)];
        for (int i = 0; i < t; i++) {
            for (int j = i + 1; j < t; j++) m[(int) (i * t + j)] = Double.NEGATIVE_INFINITY;
        }
        return Nd4j.create(m, new long[] {t, t}, type);
    }

    /**
     * Numerically stable softmax over the last dimension, in place: exp(s − max) / Σ exp(s − max), with ND4J's
     * fused {@code softmax} op (one pass over the scores instead of five ops and two temporaries).
     */
    static void softmaxLastInPlace(INDArray s) {
        Nd4j.exec(new SoftMax(s, s, s.rank() - 1));
    }

    /** Given softmax output p and upstream dp, overwrites dp with {@code p ∘ (dp − Σ_last dp∘p)}. */
    static void softmaxBackwardInPlace(INDArray p, INDArray dp) {
        try (Scope s = Scope.open()) {
            int last = p.rank() - 1;
            INDArray dpp = s.track(dp.mul(p));
            INDArray rowSum = s.track(dpp.sum(true, last));
            dp.subi(rowSum).muli(p);
        }
    }
}
