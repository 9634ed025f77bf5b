package org.clip4j.eval;

import org.clip4j.core.ClipException;
import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.nn.Scope;
import org.clip4j.eval.data.ClassificationDataset;
import org.clip4j.eval.probe.FeatureSet;
import org.clip4j.encoders.ClipModel;
import org.clip4j.encoders.ModifiedResNet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;
import java.util.stream.IntStream;

/**
 * Image features of a dataset through a model's image tower, in batches: after the projection (the CLIP
 * embedding, {@code encode_image}) or before it (a ViT's {@code ln_post} class token, width W; for a ResNet, whose
 * attention pool is its projection, the spatial mean of {@code layer4}, 2,048 channels for RN50). Images are
 * decoded and preprocessed in parallel; features land on the Java heap as a {@link FeatureSet}.
 */
public final class ImageFeatureExtractor {
    /** Where the features are taken. */
    public enum Layer {
        /** The CLIP image embedding [n, E]. */
        PROJECTED,
        /** The input of the projection (see the class comment). */
        PRE_PROJECTION
    }

    private final ClipModel model;
    private final ImagePreprocessor pre;
    private final int batch;

    /** Features from {@code model}, {@code batch} images per forward pass. */
    public ImageFeatureExtractor(ClipModel model, int batch) {
        if (batch < 1) throw new IllegalArgumentException("batch " + batch + ": expected >= 1");
        this.model = model;
        this.pre = ImagePreprocessor.clip(model.visual().imageSize());
        this.batch = batch;
    }

    /** Features of images {@code indices} of {@code ds} (in that order), labelled with their classes. */
    public FeatureSet extract(ClassificationDataset ds, int[] indices, Layer layer, ProgressListener progress) {
        int r = pre.size(), px = 3 * r * r;
        float[] out = null;
        int d = -1;
        int[] labels = new int[indices.length];
        for (int start = 0; start < indices.length; start += batch) {
            int b = Math.min(batch, indices.length - start), s0 = start;
            float[] pixels = new float[b * px];
            IntStream.range(0, b).parallel().forEach(j -> System.arraycopy(ds.pixels(indices[s0 + j], pre), 0, pixels, j * px, px));
            float[] f;
            try (Scope s = Scope.open()) {
                f = encode(s.track(Nd4j.create(pixels, new long[]{b, 3, r, r}, DataType.FLOAT)), layer); // [b, 3, R, R]
            }
            if (d < 0) {
                d = f.length / b;
                out = new float[indices.length * d];
            }
            System.arraycopy(f, 0, out, start * d, f.length);
            for (int j = 0; j < b; j++) labels[start + j] = ds.label(indices[start + j]);
            progress.update("images", start + b, indices.length);
        }
        if (out == null) throw new ClipException(ds.describe() + ": no images to encode");
        return new FeatureSet(out, indices.length, d, labels, Map.of("layer", layer.name().toLowerCase(java.util.Locale.ROOT)));
    }

    /** Features of a batch of preprocessed images [b, 3, R, R] (borrowed), row-major [b, d]. */
    public float[] encode(INDArray images, Layer layer) {
        if (layer == Layer.PROJECTED) {
            try (Scope s = Scope.open()) {
                return HeapArrays.floats(model.encodeImage(images));             // [b, E], owned by s
            }
        }
        boolean resnet = model.visual() instanceof ModifiedResNet;
        String target = resnet ? "visual.layer4" : "visual.ln_post";
        float[][] captured = new float[1][];
        model.setProbe((name, value) -> {
            if (!name.equals(target)) return;
            try (Scope s = Scope.open()) { // inside the tower's forward: our copies are ours, not the layer's
                captured[0] = HeapArrays.floats(resnet ? s.track(value.mean(2, 3)) : value); // [b, C] or [b, W]
            }
        });
        try (Scope s = Scope.open()) {
            model.encodeImage(images);                                           // owned by s, freed at once
        } finally {
            model.setProbe(null);
        }
        if (captured[0] == null) throw new IllegalStateException("the image tower reported no " + target);
        return captured[0];
    }

    /** Indices 0..n−1, or {@code limit} of them spread evenly (every n/limit-th) when {@code 0 < limit < n}. */
    public static int[] spread(int n, int limit) {
        if (limit <= 0 || limit >= n) return IntStream.range(0, n).toArray();
        int[] out = new int[limit];
        for (int i = 0; i < limit; i++) out[i] = (int) ((long) i * n / limit);
        return out;
    }
}
