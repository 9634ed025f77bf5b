package org.clip4j.encoders;

import org.clip4j.core.ClipException;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Activation;
import org.clip4j.core.nn.Embedding;
import org.clip4j.core.nn.Init;
import org.clip4j.core.nn.LayerNorm;
import org.clip4j.core.nn.Module;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Precision;
import org.clip4j.core.nn.ResidualAttentionBlock;
import org.clip4j.core.nn.Scope;
import org.clip4j.core.nn.Tape;
import org.clip4j.core.nn.Tensors;
import org.clip4j.core.nn.Transformer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

/**
 * CLIP's text tower: token embedding + positional embedding, a causal transformer, {@code ln_final}, then the
 * feature of each sequence's end-of-text position (the first maximum of its ids, as {@code argmax} in the
 * reference: EOT has the largest id) times {@code text_projection} [W, E].
 *
 * <p>Its entries live at the top level of the CLIP state dict ({@code token_embedding.weight},
 * {@code positional_embedding}, {@code transformer.*}, {@code ln_final.*}, {@code text_projection}).
 */
public final class TextTransformer extends Module {
    private final Embedding tokenEmbedding;
    private final Parameter positionalEmbedding;
    private final Transformer transformer;
    private final LayerNorm lnFinal;
    private final Parameter textProjection;
    private final ClipConfig.Text cfg;

    public TextTransformer(ClipConfig.Text cfg, int embedDim, Activation act) {
        super("");
        this.cfg = cfg;
        this.positionalEmbedding = param("positional_embedding", cfg.contextLength(), cfg.width());
        this.textProjection = param("text_projection", cfg.width(), embedDim);
        this.transformer = child(new Transformer("transformer", cfg.width(), cfg.layers(), cfg.heads(),
                cfg.mlpRatio(), act, true));
        this.tokenEmbedding = child(new Embedding("token_embedding", cfg.vocabSize(), cfg.width()));
        this.lnFinal = child(new LayerNorm("ln_final", cfg.width()));
    }

    Embedding tokenEmbedding() {
        return tokenEmbedding;
    }

    Parameter positionalEmbedding() {
        return positionalEmbedding;
    }

    Transformer transformer() {
        return transformer;
    }

    LayerNorm lnFinal() {
        return lnFinal;
    }

    Parameter textProjection() {
        return textProjection;
    }

    /**
     * OpenAI's {@code initialize_parameters} for the text side: token embedding N(0, 0.02²), positional N(0,
     * 0.01²); in each block in_proj N(0, W⁻¹), out_proj and c_proj N(0, W⁻¹·(2L)⁻¹), c_fc N(0, (2W)⁻¹) (biases
     * and LayerNorms keep PyTorch's defaults); text_projection N(0, W⁻¹).
     */
    public void initialize(Init init) {
        int w = cfg.width();
        double attnStd = Math.pow(w, -0.5);
        double projStd = attnStd * Math.pow(2.0 * cfg.layers(), -0.5); // residual branches shrink with depth
        double fcStd = Math.pow(2.0 * w, -0.5);
        init.normal(tokenEmbedding.weight(), 0.02);
        init.normal(positionalEmbedding, 0.01);
        transformer.resetParameters(init);
        for (ResidualAttentionBlock b : transformer.blocks()) {
            init.normal(b.attn().inProj().weight(), attnStd);
            init.normal(b.attn().outProj().weight(), projStd);
            init.normal(b.mlp().fc().weight(), fcStd);
            init.normal(b.mlp().proj().weight(), projStd);
        }
        init.constant(lnFinal.weight(), 1);
        init.constant(lnFinal.bias(), 0);
        init.normal(textProjection, attnStd);
    }

    /** Position of the first maximum id in each row (the end-of-text token). */
    public static int[] eotIndex(long[] ids, int rows, int cols) {
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            int best = 0;
            for (int c = 1; c < cols; c++) if (ids[r * cols + c] > ids[r * cols + best]) best = c;
            out[r] = best;
        }
        return out;
    }

    /** What backward needs: the pooled features (created by forward, owned by the tape) and where they came from. */
    private record Saved(
            INDArray pooled,  // [N, W]: ln_final's output at each sequence's end-of-text token
            int[] rowsOfEot,  // [N]: the row of each end-of-text token in ln_final's output viewed as [N·C, W]
            long[] shape)     // {N, C, W}: the shape of ln_final's output
    {
    }

    /**
     * Token ids [N, C] (integer type, C ≤ context length; borrowed) → new features [N, E]. Every temporary
     * belongs to a {@link Scope}, also when an exception stops the forward half-way.
     */
    public INDArray forward(INDArray ids, Tape tape) {
        if (ids.rank() != 2 || ids.size(1) > cfg.contextLength() || ids.size(1) < 1) {
            throw new ClipException("text: expected token ids of shape [N, " + cfg.contextLength() + "], got "
                    + java.util.Arrays.toString(ids.shape()));
        }
        try (Scope s = Scope.open()) {
            int n = (int) ids.size(0), c = (int) ids.size(1), w = cfg.width();
            INDArray idsC = s.track(ids.dup('c'));
            int[] eot = eotIndex(idsC.data().asLong(), n, c);
            s.release(idsC);

            INDArray x = tokenEmbedding.forward(ids, tape);                   // [N, C, W]
            emit("token_embedding", () -> x);
            x.addi(positionalEmbedding.value().get(interval(0, c), all()));  // broadcast over N
            INDArray y = transformer.forward(x, tape);
            s.release(x);
            INDArray z = lnFinal.forward(y, tape);
            s.release(y);
            emit("ln_final", () -> z);

            int[] rowsOfEot = new int[n];                                     // rows of z viewed as [N·C, W]
            for (int i = 0; i < n; i++) rowsOfEot[i] = i * c + eot[i];
            INDArray pooled = s.track(Nd4j.create(z.dataType(), n, w));       // [N, W]
            Nd4j.pullRows(Tensors.rows(z), pooled, 1, rowsOfEot);
            s.release(z);
            INDArray features = s.track(Precision.gemm(pooled, textProjection.value(), false, false,
                    precision()));                                            // [N, E]
            if (tape != null) tape.save(this, new Saved(pooled, rowsOfEot, new long[] {n, c, w}), s);
            return s.ret(features);
        }
    }

    /** Accumulates all text-side parameter gradients for {@code dFeatures} [N, E]. */
    public void backward(INDArray dFeatures, Tape tape) {
        try (Scope s = Scope.open()) {
            Saved saved = tape.pop(this, Saved.class, s);
            INDArray pooled = saved.pooled();
            int[] rowsOfEot = saved.rowsOfEot();
            int c = (int) saved.shape()[1];

            Precision p = precision();
            Precision.gemm(pooled, dFeatures, textProjection.grad(), true, false, 1.0, 1.0, p);
            INDArray dPooled = s.track(Precision.gemm(dFeatures, textProjection.value(), false, true, p)); // [N, W]
            INDArray dz = s.track(Nd4j.zeros(dPooled.dataType(), saved.shape()));           // [N, C, W]
            INDArray dz2 = Tensors.rows(dz);
            for (int i = 0; i < rowsOfEot.length; i++) dz2.getRow(rowsOfEot[i]).assign(dPooled.getRow(i));
            s.release(dPooled);
            INDArray dy = lnFinal.backward(dz, tape);
            s.release(dz);
            INDArray dx = transformer.backward(dy, tape);
            s.release(dy);
            positionalEmbedding.grad().get(interval(0, c), all()).addi(s.track(Tensors.sumFirst(dx))); // [C, W]
            tokenEmbedding.backward(dx, tape);
        }
    }

    /** The text configuration this tower was built from. */
    public ClipConfig.Text config() {
        return cfg;
    }
}
