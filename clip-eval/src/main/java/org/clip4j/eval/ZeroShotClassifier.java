package org.clip4j.eval;

import org.clip4j.core.ClipException;
import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.nn.Scope;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.core.safetensors.SafetensorsWriter;
import org.clip4j.core.tokenizer.ClipTokenizer;
import org.clip4j.encoders.ClipModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Prompt-ensembled zero-shot classifier, as the CLIP paper: for each class, every template's prompt is encoded
 * and L2-normalised, the class embedding is their mean, normalised again; an image's logits are
 * {@code 100 · normalise(image) · W} ({@code W [E, K]}, one column per class; 100 is CLIP's fixed evaluation
 * scale, exp(logit_scale) at its clamp). The weights can be cached on disk ({@link #save}/{@link #load}, or
 * {@link EvalCache#classifier}). {@link #evaluate} scores a labelled dataset (top-1/top-5, per-class accuracy,
 * confusion matrix).
 */
public final class ZeroShotClassifier implements AutoCloseable {
    /** The logit scale of zero-shot evaluation in the paper's code (ImageNet notebook). */
    public static final double LOGIT_SCALE = 100.0;

    private final List<String> classes;
    private final INDArray weights; // [E, K]

    private ZeroShotClassifier(List<String> classes, INDArray weights) {
        this.classes = List.copyOf(classes);
        this.weights = weights;
    }

    /** Class embeddings from a model's text tower, prompts encoded {@code batch} at a time. */
    public static ZeroShotClassifier build(ClipModel model, ClipTokenizer tok, PromptSet prompts, int batch) {
        int ctx = model.config().text().contextLength();
        return build(prompts, batch, texts -> {
            try (Scope s = Scope.open()) {
                INDArray ids = s.track(tok.tokenizeToArray(texts, ctx, true));
                return s.ret(model.encodeText(ids)); // [n, E]
            }
        });
    }

    /**
     * As {@link #build(ClipModel, ClipTokenizer, PromptSet, int)} with any text encoder (prompts → a new [n, E]
     * array, which the build releases: created outside any scope or returned into the current one).
     */
    public static ZeroShotClassifier build(PromptSet prompts, int batch, Function<List<String>, INDArray> encoder) {
        List<String> all = new ArrayList<>();
        for (String c : prompts.classes()) for (String t : prompts.templates()) all.add(PromptSet.prompt(t, c));
        int k = prompts.classes().size(), m = prompts.templates().size();
        double[] values;
        long[] shape;
        DataType type;
        try (Scope s = Scope.open()) {
            INDArray w = null;
            for (int start = 0; start < all.size(); start += batch) {
                List<String> chunk = all.subList(start, Math.min(all.size(), start + batch));
                try (Scope sc = Scope.open()) {
                    INDArray f = encoder.apply(chunk);
                    if (!sc.owns(f)) sc.track(f);
                    INDArray n = ContrastiveLoss.normalize(f); // [b, E], unit rows
                    if (w == null) w = s.track(Nd4j.zeros(n.dataType(), n.size(1), k));
                    for (int r = 0; r < chunk.size(); r++) {
                        int cls = (start + r) / m;
                        INDArray col = w.getColumn(cls);
                        col.addi(n.getRow(r));   // Σ over templates of the normalised prompt embeddings
                    }
                }
            }
            w.divi(m);                                            // mean
            INDArray norms = s.track(w.norm2(true, 0));          // [1, K]
            w.diviRowVector(norms);                              // renormalise each class column
            values = HeapArrays.doubles(w);
            shape = w.shape();
            type = w.dataType();
        }
        // The classifier keeps its weights beyond any scope: made here, after ours closed, from an exact copy.
        return new ZeroShotClassifier(prompts.classes(), Nd4j.create(values, shape, type));
    }

    /** Class names, in column order. */
    public List<String> classes() {
        return classes;
    }

    /** The class embeddings {@code [E, K]} (live; do not close). */
    public INDArray weights() {
        return weights;
    }

    /**
     * {@code 100 · normalise(features) · W}: features [n, E] (unnormalised image features) → new [n, K], owned by
     * the caller (by its scope when one is open).
     */
    public INDArray logits(INDArray imageFeatures) {
        try (Scope s = Scope.open()) {
            INDArray n = ContrastiveLoss.normalize(imageFeatures);                // [n, E], owned by s
            return s.ret(s.track(Nd4j.gemm(n, weights, false, false)).muli(LOGIT_SCALE));
        }
    }

    /** Logits of images {@code [n, 3, R, R]} through the model's image tower: a new [n, K] owned by the caller. */
    public INDArray logits(ClipModel model, INDArray images) {
        try (Scope s = Scope.open()) {
            INDArray f = model.encodeImage(images);                               // [n, E], owned by s
            return s.ret(logits(f));
        }
    }

    /**
     * Classifies images {@code indices} of {@code ds} through the model's image tower ({@code batch} at a time); the
     * dataset's labels must index this classifier's classes.
     */
    public ClassificationReport evaluate(ClipModel model, org.clip4j.eval.data.ClassificationDataset ds, int[] indices,
                                         int batch, ProgressListener progress) {
        if (ds.classes().size() != classes.size()) {
            throw new ClipException(ds.describe() + " has " + ds.classes().size() + " classes, the classifier "
                    + classes.size() + ": the class names must follow the dataset's label order");
        }
        org.clip4j.eval.probe.FeatureSet f = new ImageFeatureExtractor(model, batch)
                .extract(ds, indices, ImageFeatureExtractor.Layer.PROJECTED, progress);
        return evaluate(f);
    }

    /** Classifies precomputed projected image features (labels index this classifier's classes). */
    public ClassificationReport evaluate(org.clip4j.eval.probe.FeatureSet features) {
        try (Scope s = Scope.open()) {
            INDArray x = s.track(Nd4j.create(features.features(), new long[]{features.n(), features.d()}, DataType.FLOAT)); // [n, E]
            INDArray l = logits(x);                                                                                      // [n, K]
            return ClassificationReport.of(HeapArrays.doubleRows(l), features.labels(), classes);
        }
    }

    /** Writes the class embeddings and names (one file, for reuse across runs). */
    public void save(Path file) {
        save(file, java.util.Map.of());
    }

    /** As {@link #save(Path)} with extra {@code __metadata__} entries (e.g. a cache key). */
    public void save(Path file, java.util.Map<String, String> metadata) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) java.nio.file.Files.createDirectories(parent);
            new SafetensorsWriter().metadata(new java.util.LinkedHashMap<>(metadata)).metadata("classes", String.join("\n", classes))
                    .put("zeroshot_weights", weights).write(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Reads a file written by {@link #save}. */
    public static ZeroShotClassifier load(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            String names = f.metadata().get("classes");
            if (names == null) throw new ClipException(file + ": no 'classes' in __metadata__ (not a zero-shot cache)");
            INDArray w = f.floatArray("zeroshot_weights");
            List<String> classes = List.of(names.split("\n", -1));
            if (w.rank() != 2 || w.size(1) != classes.size()) {
                throw new ClipException(file + ": zeroshot_weights " + java.util.Arrays.toString(w.shape()) + " does not match "
                        + classes.size() + " classes");
            }
            return new ZeroShotClassifier(classes, w);
        }
    }

    @Override
    public void close() {
        weights.close();
    }
}
