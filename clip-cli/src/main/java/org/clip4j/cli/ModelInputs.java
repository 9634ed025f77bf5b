package org.clip4j.cli;

import org.clip4j.core.ClipException;
import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.core.safetensors.TensorInfo;
import org.clip4j.core.tokenizer.ClipTokenizer;
import org.clip4j.encoders.ClipModel;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns command-line inputs into model inputs, checked against the model: images through
 * {@code ImagePreprocessor.clip(image size)}, texts through the CLIP tokenizer with the model's context length
 * (truncating), and tensors read from safetensors files. Every problem is a {@link ClipException} naming the
 * file or tensor.
 */
final class ModelInputs {
    private final ClipModel model;
    private final Path modelPath;

    ModelInputs(ClipModel model, Path modelPath) {
        this.model = model;
        this.modelPath = modelPath;
    }

    /** Preprocessed images [N, 3, R, R] for the model's resolution R. */
    INDArray images(List<Path> files) {
        for (Path f : files) if (!Files.isRegularFile(f)) throw new ClipException(f + ": no such image file");
        return ImagePreprocessor.clip(model.visual().imageSize()).batch(files);
    }

    /** Token ids [N, C] of the lines of a UTF-8 file (one text per line), checked against the vocabulary. */
    INDArray texts(Path file) {
        List<String> lines;
        try {
            lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ClipException(file + ": cannot read texts: " + e.getMessage(), e);
        }
        if (!lines.isEmpty() && lines.get(0).startsWith("\uFEFF")) lines.set(0, lines.get(0).substring(1)); // BOM
        if (lines.isEmpty()) throw new ClipException(file + ": no texts (expected one per line)");
        return tokens(lines, file.toString());
    }

    /** Token ids [N, C] of these texts. */
    INDArray tokens(List<String> texts, String source) {
        INDArray ids = tokenizer().tokenizeToArray(texts, model.text().config().contextLength(), true);
        checkIds(ids, source + " (tokenized)");
        return ids;
    }

    /** Pixel values F32 [N, 3, R, R] from a safetensors tensor. */
    INDArray pixelValues(TensorRef ref) {
        int r = model.visual().imageSize();
        try (SafetensorsFile f = open(ref)) {
            TensorInfo t = f.info(ref.name());
            long[] s = t.shape();
            if (!t.dtype().isFloat() || s.length != 4 || s[1] != 3 || s[2] != r || s[3] != r) {
                throw new ClipException(ref + ": pixel values must be a floating tensor [N, 3, " + r + ", " + r
                        + "] for this model, found " + t.dtype() + " " + Arrays.toString(s));
            }
            return f.floatArray(ref.name());
        }
    }

    /** Token ids [N, C] (C ≤ the context length, integer dtype) from a safetensors tensor. */
    INDArray tokenIds(TensorRef ref) {
        int c = model.text().config().contextLength();
        try (SafetensorsFile f = open(ref)) {
            TensorInfo t = f.info(ref.name());
            long[] s = t.shape();
            if (t.dtype().isFloat() || s.length != 2 || s[1] < 1 || s[1] > c) {
                throw new ClipException(ref + ": token ids must be an integer tensor [N, " + c
                        + "] for this model, found " + t.dtype() + " " + Arrays.toString(s));
            }
            INDArray ids = f.array(ref.name());
            checkIds(ids, ref.toString());
            return ids;
        }
    }

    /** Every id must index the token embedding. */
    private void checkIds(INDArray ids, String source) {
        int vocab = model.text().config().vocabSize();
        long[] v = ids.dup('c').data().asLong();
        int cols = (int) ids.size(1);
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0 || v[i] >= vocab) {
                throw new ClipException(source + ": token id " + v[i] + " (row " + i / cols + ", position " + i % cols
                        + ") is outside the model's vocabulary [0, " + vocab + ")");
            }
        }
    }

    /**
     * The tokenizer in a model directory (Hugging Face vocab.json + merges.txt, or tokenizer.json), else the
     * bundled OpenAI one.
     */
    private ClipTokenizer tokenizer() {
        Path dir = modelPath;
        if (Files.isDirectory(dir) && Files.isRegularFile(dir.resolve("vocab.json")) && Files.isRegularFile(dir.resolve("merges.txt"))) {
            return ClipTokenizer.fromHuggingFace(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
        }
        if (Files.isDirectory(dir) && Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            return ClipTokenizer.fromTokenizerJson(dir.resolve("tokenizer.json"));
        }
        return ClipTokenizer.openai();
    }

    private static SafetensorsFile open(TensorRef ref) {
        if (!Files.isRegularFile(ref.file())) throw new ClipException(ref.file() + ": no such file");
        SafetensorsFile f = SafetensorsFile.open(ref.file());
        if (!f.contains(ref.name())) {
            f.close();
            List<String> names = f.names();
            String has = names.size() <= 12 ? names.toString() : names.subList(0, 12) + " and " + (names.size() - 12) + " more";
            throw new ClipException(ref.file() + ": no tensor named '" + ref.name() + "' (has " + has + ")");
        }
        return f;
    }
}
