package org.clip4j.eval;

import org.clip4j.core.ClipException;
import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.core.safetensors.SafetensorsWriter;
import org.clip4j.core.tokenizer.ClipTokenizer;
import org.clip4j.encoders.ClipModel;
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
            INDArray ids = tok.tokenizeToArray(texts, ctx, true);
            INDArray f = model.encodeText(ids); // [n, E]
            ids.close();
            return f;
        });
    }

    /** As {@link #build(ClipModel, ClipTokenizer, PromptSet, int)} with any text encoder (prompts → [n, E]). */
    public static ZeroShotClassifier build(PromptSet prompts, int batch, Function<List<String>, INDArray> encoder) {
        List<String> all = new ArrayList<>();
        for (String c : prompts.classes()) for (String t : prompts.templates()) all.add(PromptSet.prompt(t, c));
        int k = prompts.classes().size(), m = prompts.templates().size();
        INDArray w = null;
        for (int start = 0; start < all.size(); start += batch) {
            List<String> chunk = all.subList(start, Math.min(all.size(), start + batch));
            INDArray f = encoder.apply(chunk);
            INDArray n = ContrastiveLoss.normalize(f); // [b, E], unit rows
            f.close();
            if (w == null) w = Nd4j.zeros(n.dataType(), n.size(1), k);
            for (int r = 0; r < chunk.size(); r++) {
                int cls = (start + r) / m;
                INDArray col = w.getColumn(cls);
                col.addi(n.getRow(r));   // Σ over templates of the normalised prompt embeddings
            }
            n.close();
        }
        w.divi(m);                                            // mean
        INDArray norms = w.norm2(true, 0);                   // [1, K]
        w.diviRowVector(norms);                              // renormalise each class column
        norms.close();
        return new ZeroShotClassifier(prompts.classes(), w);
    }

    /** Class names, in column order. */
    public List<String> classes() {
        return classes;
    }

    /** The class embeddings {@code [E, K]} (live; do not close). */
    public INDArray weights() {
        return weights;
    }

    /** {@code 100 · normalise(features) · W}: features [n, E] (unnormalised image features) → new [n, K]. */
    public INDArray logits(INDArray imageFeatures) {
        INDArray n = ContrastiveLoss.normalize(imageFeatures);
        INDArray l = n.mmul(weights).muli(LOGIT_SCALE);
        n.close();
        return l;
    }

    /** Logits of images {@code [n, 3, R, R]} through the model's image tower. */
    public INDArray logits(ClipModel model, INDArray images) {
        INDArray f = model.encodeImage(images);
        INDArray l = logits(f);
        f.close();
        return l;
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
        try (INDArray x = Nd4j.create(features.features(), new long[]{features.n(), features.d()}, org.nd4j.linalg.api.buffer.DataType.FLOAT); // [n, E]
             INDArray l = logits(x)) {                                                                            // [n, K]
            return ClassificationReport.of(l.toDoubleMatrix(), features.labels(), classes);
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
