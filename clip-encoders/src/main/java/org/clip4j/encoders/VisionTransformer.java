package org.clip4j.encoders;

import org.clip4j.core.ClipException;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Activation;
import org.clip4j.core.nn.Init;
import org.clip4j.core.nn.LayerNorm;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Precision;
import org.clip4j.core.nn.Scope;
import org.clip4j.core.nn.Tape;
import org.clip4j.core.nn.Tensors;
import org.clip4j.core.nn.Transformer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

/**
 * CLIP's Vision Transformer: patch embedding (a stride-P convolution without bias), a class token, positional
 * embeddings, {@code ln_pre}, the transformer, {@code ln_post} on the class token, then {@code @ proj}.
 *
 * <p>Because the patches do not overlap, the convolution is a matrix product: each patch flattened in
 * (channel, row, column) order times {@code conv1.weight} [W, 3, P, P] viewed as [W, 3·P·P].
 */
public final class VisionTransformer extends ImageEncoder {
    private final Parameter classEmbedding;
    private final Parameter positionalEmbedding;
    private final Parameter proj;
    private final Parameter conv1;
    private final LayerNorm lnPre;
    private final Transformer transformer;
    private final LayerNorm lnPost;
    private final int imageSize;
    private final int patch;
    private final int grid;
    private final int width;

    public VisionTransformer(ClipConfig.Vision cfg, int embedDim, Activation act) {
        super("visual");
        this.imageSize = cfg.imageSize();
        this.patch = cfg.patchSize();
        this.grid = cfg.grid();
        this.width = cfg.width();
        long tokens = (long) grid * grid + 1;
        // Registration order = the reference state_dict order: direct parameters first, then sub-modules.
        this.classEmbedding = param("class_embedding", width);
        this.positionalEmbedding = param("positional_embedding", tokens, width);
        this.proj = param("proj", width, embedDim);
        this.conv1 = param("conv1.weight", width, 3, patch, patch);
        this.lnPre = child(new LayerNorm(qualify("ln_pre"), width));
        this.transformer = child(new Transformer(qualify("transformer"), width, cfg.depth(), cfg.heads(),
                cfg.mlpRatio(), act, false));
        this.lnPost = child(new LayerNorm(qualify("ln_post"), width));
    }

    @Override
    public int imageSize() {
        return imageSize;
    }

    public Transformer transformer() {
        return transformer;
    }

    /**
     * Reference initialisation: conv1 and the transformer keep PyTorch's defaults (OpenAI's
     * {@code initialize_parameters} does not touch them); class and positional embeddings and {@code proj} are
     * {@code width^-0.5 · N(0, 1)}.
     */
    @Override
    public void initialize(Init init) {
        double scale = Math.pow(width, -0.5);
        init.normal(classEmbedding, scale);
        init.normal(positionalEmbedding, scale);
        init.normal(proj, scale);
        init.torchDefaultWeight(conv1);
        for (LayerNorm ln : new LayerNorm[] {lnPre, lnPost}) {
            init.constant(ln.weight(), 1);
            init.constant(ln.bias(), 0);
        }
        transformer.resetParameters(init);
    }

    /** What backward needs; both arrays are created by forward and owned by the tape. */
    private record Saved(
            INDArray patches, // [N, g, g, 3, P, P]: the image cut into patches, rows in conv-weight order
            INDArray c)       // [N, W]: ln_post's output for the class token, proj's input
    {
    }

    /**
     * {@code images}: [N, 3, R, R] (borrowed, not kept) → new features [N, E]. Every temporary belongs to a
     * {@link Scope}: an exception thrown half-way (by a layer or by a {@link org.clip4j.core.nn.Probe}) frees
     * them on its way out.
     */
    @Override
    public INDArray forward(INDArray images, Tape tape) {
        long[] s = images.shape();
        if (s.length != 4 || s[1] != 3 || s[2] != imageSize || s[3] != imageSize) {
            throw new ClipException("visual: expected images of shape [N, 3, " + imageSize + ", " + imageSize
                    + "], got " + java.util.Arrays.toString(s));
        }
        try (Scope sc = Scope.open()) {
            long n = s[0], g2 = (long) grid * grid, tokens = g2 + 1, k = 3L * patch * patch;
            var type = conv1.value().dataType();
            INDArray img = images.dataType() == type ? images : sc.track(images.castTo(type));

            // im2col: [N, 3, g, P, g, P] → [N, g, g, 3, P, P]; row (n, gy, gx) is one patch in conv-weight order.
            INDArray dense = Tensors.isRowMajorContiguous(img) ? img : sc.track(img.dup('c'));
            INDArray patches = sc.track(dense.reshape('c', n, 3, grid, patch, grid, patch)
                    .permute(0, 2, 4, 1, 3, 5).dup('c'));
            if (dense != img) sc.release(dense);
            if (img != images) sc.release(img);
            INDArray emb = sc.track(Nd4j.create(type, n, g2, width));      // [N, g², W]
            Precision.gemm(patches.reshape('c', n * g2, k), conv1.value().reshape('c', width, k), Tensors.rows(emb),
                    false, true, 1.0, 0.0, precision());
            emit("visual.conv1", () -> emb.reshape('c', n, grid, grid, width).permute(0, 3, 1, 2)); // NCHW

            INDArray x = sc.track(Nd4j.zeros(type, n, tokens, width));      // [N, g²+1, W]
            x.get(all(), point(0), all()).addiRowVector(classEmbedding.value());
            x.get(all(), interval(1, tokens), all()).assign(emb);
            x.addi(positionalEmbedding.value());                            // broadcast over N
            sc.release(emb);

            INDArray h = lnPre.forward(x, tape);
            sc.release(x);
            emit("visual.ln_pre", () -> h);
            INDArray y = transformer.forward(h, tape);
            sc.release(h);
            INDArray cls = sc.track(y.get(all(), point(0), all()).dup('c')); // [N, W], class token
            sc.release(y);
            INDArray c = lnPost.forward(cls, tape);
            sc.release(cls);
            emit("visual.ln_post", () -> c);
            INDArray features = sc.track(Precision.gemm(c, proj.value(), false, false, precision())); // [N, E]
            if (tape != null) tape.save(this, new Saved(patches, c), sc);
            return sc.ret(features);
        }
    }

    @Override
    public void backward(INDArray dFeatures, Tape tape) {
        try (Scope s = Scope.open()) {
            Saved saved = tape.pop(this, Saved.class, s);
            INDArray patches = saved.patches(), c = saved.c();
            long n = c.size(0), g2 = (long) grid * grid, tokens = g2 + 1, k = 3L * patch * patch;

            Precision p = precision();
            Precision.gemm(c, dFeatures, proj.grad(), true, false, 1.0, 1.0, p);           // dproj += cᵀ dF
            INDArray dc = s.track(Precision.gemm(dFeatures, proj.value(), false, true, p)); // [N, W]
            INDArray dcls = lnPost.backward(dc, tape);
            s.release(dc);
            INDArray dy = s.track(Nd4j.zeros(dcls.dataType(), n, tokens, width)); // only the class token has a gradient
            dy.get(all(), point(0), all()).assign(dcls);
            s.release(dcls);
            INDArray dh = transformer.backward(dy, tape);
            s.release(dy);
            INDArray dx = lnPre.backward(dh, tape);                                // [N, g²+1, W]
            s.release(dh);

            positionalEmbedding.accumulate(s.track(Tensors.sumFirst(dx)));
            classEmbedding.accumulate(s.track(Tensors.sumFirst(dx.get(all(), point(0), all()))));
            INDArray dEmb = s.track(dx.get(all(), interval(1, tokens), all()).dup('c')); // [N, g², W]
            Precision.gemm(Tensors.rows(dEmb), patches.reshape('c', n * g2, k), conv1.grad().reshape('c', width, k),
                    true, false, 1.0, 1.0, p);                                     // dconv += dEmbᵀ patches
        }
    }
}
