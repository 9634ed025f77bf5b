package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

/**
 * The ModifiedResNet's final pooling, OpenAI's {@code AttentionPool2d}: the feature map becomes HW tokens, the
 * spatial mean is prepended as token 0, a learned {@code positional_embedding} [HW+1, C] is added, and one
 * multi-head attention step runs in which <em>only token 0 is a query</em> (it attends to all HW+1 tokens).
 * Its output, projected by {@code c_proj}, is the image embedding.
 *
 * <p>Unlike {@link MultiheadAttention} the projections are separate {@link Linear}s with biases
 * ({@code q_proj}, {@code k_proj}, {@code v_proj}, C → C) and {@code c_proj} (C → output). The number of heads
 * comes from the config (CLIP uses C/64, i.e. head dimension 64). State-dict order: positional_embedding,
 * k_proj, q_proj, v_proj, c_proj (the reference's declaration order).
 */
public final class AttentionPool2d extends Module {
    private final Parameter positionalEmbedding;
    private final Linear kProj;
    private final Linear qProj;
    private final Linear vProj;
    private final Linear cProj;
    private final long tokens;
    private final long embed;
    private final long heads;
    private final long headDim;

    /**
     * @param spacial side of the input feature map (HW = spacial²)
     * @param embed   channels C of the feature map
     * @param heads   attention heads (C must be divisible by it)
     * @param output  output dimension of {@code c_proj}
     */
    public AttentionPool2d(String prefix, long spacial, long embed, long heads, long output) {
        super(prefix);
        if (heads <= 0 || embed % heads != 0) {
            throw new IllegalArgumentException(prefix + ": width " + embed + " is not divisible by " + heads + " heads");
        }
        this.tokens = spacial * spacial + 1;
        this.embed = embed;
        this.heads = heads;
        this.headDim = embed / heads;
        this.positionalEmbedding = param("positional_embedding", tokens, embed);
        this.kProj = child(new Linear(qualify("k_proj"), embed, embed, true));
        this.qProj = child(new Linear(qualify("q_proj"), embed, embed, true));
        this.vProj = child(new Linear(qualify("v_proj"), embed, embed, true));
        this.cProj = child(new Linear(qualify("c_proj"), embed, output, true));
    }

    public Parameter positionalEmbedding() {
        return positionalEmbedding;
    }

    public Linear kProj() {
        return kProj;
    }

    public Linear qProj() {
        return qProj;
    }

    public Linear vProj() {
        return vProj;
    }

    public Linear cProj() {
        return cProj;
    }

    public long heads() {
        return heads;
    }

    /**
     * What backward needs; every array is owned by the tape. t, t0 and o are also the inputs the projections'
     * records reference: the record is saved after theirs and popped first, so they live until the projections'
     * backwards have run. L = HW + 1 tokens, hd = C / heads.
     */
    private record Saved(
            INDArray t,    // [N, L, C]: the tokens (k_proj's and v_proj's input)
            INDArray t0,   // [N, C]: token 0, the only query (q_proj's input)
            INDArray q,    // [N, C]: the query, scaled by 1/sqrt(hd)
            INDArray kh,   // [N, heads, L, hd]: the keys, split into heads
            INDArray vh,   // [N, heads, L, hd]: the values, split into heads
            INDArray p,    // [N, heads, 1, L]: the attention probabilities
            INDArray o,    // [N, heads, 1, hd]: the attention output (c_proj's input, as [N, C])
            long h,        // the input's height
            long w,        // the input's width
            boolean last)  // the input was channels last (dx is too)
    {
    }

    /** {@code x}: [N, C, H, W] with HW + 1 = positional rows (borrowed, not kept) → new [N, output]. */
    public INDArray forward(INDArray x, Tape tape) {
        long n = x.size(0), h = x.size(2), w = x.size(3), hw = h * w, l = hw + 1;
        if (x.rank() != 4 || x.size(1) != embed || l != tokens) {
            throw new IllegalArgumentException(name() + ": expected [N, " + embed + ", H, W] with H·W = "
                    + (tokens - 1) + ", got " + Arrays.toString(x.shape()));
        }
        try (Scope s = Scope.open()) {
            boolean last = Tensors.isChannelsLast(x);
            INDArray dense = Tensors.isRowMajorContiguous(x) || last ? x : s.track(x.dup('c'));
            INDArray spatial = last ? Tensors.dense(x).reshape('c', n, hw, embed)  // [N, HW, C] view
                    : dense.reshape('c', n, embed, hw).permute(0, 2, 1);
            INDArray t = s.track(Nd4j.create(x.dataType(), n, l, embed));          // tokens [N, HW+1, C]
            t.get(all(), interval(1, l), all()).assign(spatial);
            // [N, C], the spatial mean token, reduced over the dense axis (a mean over a permuted view copies it)
            INDArray mean = s.track(last ? spatial.mean(1) : dense.reshape('c', n, embed, hw).mean(2));
            t.get(all(), point(0), all()).assign(mean);
            s.release(mean);
            if (dense != x) s.release(dense);
            t.addi(positionalEmbedding.value());                                   // broadcast over N
            INDArray t0 = s.track(t.get(all(), point(0), all()).dup('c'));         // [N, C], the only query token

            INDArray q = qProj.forward(t0, tape);                                  // [N, C]
            INDArray k = kProj.forward(t, tape);                                   // [N, L, C]
            INDArray v = vProj.forward(t, tape);
            q.muli(1.0 / Math.sqrt(headDim)); // PyTorch scales q by 1/sqrt(head dim) after the projection
            INDArray qh = q.reshape('c', n, heads, 1, headDim);                    // [N, H, 1, hd] view of q
            INDArray kh = splitHeads(s, k, n, l), vh = splitHeads(s, v, n, l);     // [N, H, L, hd]
            s.release(k, v);

            INDArray p = s.track(Precision.matmul(qh, kh, null, false, true, precision())); // scores [N, H, 1, L]
            MultiheadAttention.softmaxLastInPlace(p);
            INDArray o = s.track(Precision.matmul(p, vh, null, false, false, precision())); // [N, H, 1, hd]
            INDArray y = cProj.forward(o.reshape('c', n, embed), tape);            // [N, output]
            if (tape != null) tape.save(this, new Saved(t, t0, q, kh, vh, p, o, h, w, last), s);
            return s.ret(y);
        }
    }

    /** {@code dy}: [N, output] (borrowed) → new dx [N, C, H, W], channels last if the forward input was. */
    public INDArray backward(INDArray dy, Tape tape) {
        try (Scope s = Scope.open()) {
            Saved saved = tape.pop(this, Saved.class, s); // its arrays: s's until the projections' backwards ran
            INDArray kh = saved.kh(), vh = saved.vh(), p = saved.p();
            long n = dy.size(0), hw = saved.h() * saved.w(), l = hw + 1;
            INDArray qh = saved.q().reshape('c', n, heads, 1, headDim);

            INDArray dctx = cProj.backward(dy, tape);                          // [N, C]
            INDArray dO = dctx.reshape('c', n, heads, 1, headDim);
            INDArray dVh = s.track(Precision.matmul(p, dO, null, true, false, precision()));  // Pᵀ dO, [N, H, L, hd]
            INDArray dS = s.track(Precision.matmul(dO, vh, null, false, true, precision()));  // dO Vᵀ, [N, H, 1, L]
            s.release(dctx);
            MultiheadAttention.softmaxBackwardInPlace(p, dS);                  // gradient of the scores
            INDArray dq = s.track(Precision.matmul(dS, kh, null, false, false, precision())); // [N, H, 1, hd] = [N, C]
            dq.muli(1.0 / Math.sqrt(headDim));                                 // through the q scaling
            INDArray dKh = s.track(Precision.matmul(dS, qh, null, true, false, precision())); // dSᵀ q_scaled, [N, H, L, hd]
            s.release(dS);
            INDArray dv = mergeHeads(s, dVh, n, l), dk = mergeHeads(s, dKh, n, l); // [N, L, C]
            s.release(dVh, dKh);

            // Reverse order of the forward calls: c_proj (done), v_proj, k_proj, q_proj.
            INDArray dt = vProj.backward(dv, tape);                            // [N, L, C]
            INDArray dtk = kProj.backward(dk, tape);
            dt.addi(dtk);
            INDArray dt0 = qProj.backward(dq.reshape('c', n, embed), tape);    // [N, C]
            s.release(dv, dk, dtk, dq);
            INDArray first = dt.get(all(), point(0), all());
            first.addi(dt0);                                                   // token 0: query and key/value paths
            s.release(dt0);
            INDArray dPos = s.track(Tensors.sumFirst(dt));                                // [L, C]
            positionalEmbedding.accumulate(dPos);
            s.release(dPos);

            // Token i ≥ 1 is pixel i−1; token 0 is the mean of all pixels, so each pixel also gets 1/HW of it.
            boolean last = saved.last();                                       // dx in the layout of x
            INDArray dx = s.track(Tensors.create4(dy.dataType(), last, n, embed, saved.h(), saved.w()));
            INDArray meanPart = s.track(first.mul(1.0 / hw));                  // [N, C]
            if (last) {
                INDArray dx3 = Tensors.dense(dx).reshape('c', n, hw, embed);   // [N, HW, C] view of dx
                dx3.assign(dt.get(all(), interval(1, l), all()));
                dx3.addi(meanPart.reshape('c', n, 1, embed));                  // broadcast over HW
            } else {
                INDArray dx3 = dx.reshape('c', n, embed, hw);                  // view of dx
                dx3.assign(dt.get(all(), interval(1, l), all()).permute(0, 2, 1));
                dx3.addi(meanPart.reshape('c', n, embed, 1));                  // broadcast over HW
            }
            return s.ret(dx);
        }
    }

    /** [N, L, C] → new [N, H, L, hd], tracked by {@code s}. */
    private INDArray splitHeads(Scope s, INDArray a, long n, long l) {
        return s.track(a.reshape('c', n, l, heads, headDim).permute(0, 2, 1, 3).dup('c'));
    }

    /** [N, H, L, hd] → new [N, L, C], tracked by {@code s}. */
    private INDArray mergeHeads(Scope s, INDArray a, long n, long l) {
        INDArray out = s.track(Nd4j.create(a.dataType(), n, l, embed));
        out.reshape('c', n, l, heads, headDim).assign(a.permute(0, 2, 1, 3)); // write through a view of out
        return out;
    }
}
