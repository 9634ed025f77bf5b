package org.clip4j.encoders;

import org.clip4j.core.ClipException;
import org.clip4j.core.model.ClipConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a path given to {@link ClipModel#load} holds: the format, the weights file (safetensors or a PyTorch
 * checkpoint), the config (null when it must come from the weights file itself) and how tensors are named.
 *
 * @param format  "OpenAI/OpenCLIP safetensors", "OpenAI/OpenCLIP PyTorch checkpoint", "OpenCLIP directory" or
 *                "Hugging Face CLIPModel directory"
 * @param weights the weights file to read
 * @param config  the config read from a JSON file, or null
 * @param hf      true for Hugging Face names and layout
 */
record CheckpointSource(String format, Path weights, ClipConfig config, boolean hf) {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointSource.class);
    static final String OPEN_CLIP_CONFIG = "open_clip_config.json";
    static final String HF_CONFIG = "config.json";
    static final String HF_WEIGHTS = "model.safetensors";
    /** The PyTorch weights of a Hugging Face folder, used when it has no {@link #HF_WEIGHTS}. */
    static final String HF_TORCH_WEIGHTS = "pytorch_model.bin";
    /** OpenCLIP weight file names in order of preference (as on the Hugging Face Hub). */
    static final List<String> OPEN_CLIP_WEIGHTS = List.of("open_clip_model.safetensors",
            "open_clip_pytorch_model.safetensors", "open_clip_pytorch_model.bin");
    /** The file that marks a {@code clip train} checkpoint folder (next to its model.safetensors). */
    static final String TRAINING_STATE = "trainer.json";

    /** Classifies {@code path}; throws a {@link ClipException} naming the path when nothing loadable is there. */
    static CheckpointSource resolve(Path path) {
        if (Files.isDirectory(path)) return directory(path);
        if (!Files.exists(path)) throw new ClipException(path + ": no such file or directory");
        String name = path.getFileName().toString();
        Path dir = path.toAbsolutePath().getParent();
        if ((name.equals(HF_WEIGHTS) || name.equals(HF_TORCH_WEIGHTS)) && Files.isRegularFile(dir.resolve(HF_CONFIG))
                && hasHfNames(path)) {
            return huggingFace(dir, path);
        }
        if (WeightFile.isTorch(path)) {
            return new CheckpointSource("OpenAI/OpenCLIP PyTorch checkpoint", path, null, false);
        }
        return new CheckpointSource("OpenAI/OpenCLIP safetensors", path, null, false);
    }

    /** The tensor layout; OpenCLIP custom-text names are recognised from the file itself. */
    TensorLayout layout(WeightFile f) {
        if (hf) return TensorLayout.HUGGING_FACE;
        if (f.contains("text.token_embedding.weight") && !f.contains("token_embedding.weight")) {
            return TensorLayout.OPENCLIP_CUSTOM_TEXT;
        }
        if (f.contains("text_model.embeddings.token_embedding.weight")) {
            throw new ClipException(weights + ": Hugging Face CLIPModel tensor names; load the directory that"
                    + " holds it with its config.json instead");
        }
        return TensorLayout.OPENAI;
    }

    private static CheckpointSource directory(Path dir) {
        if (Files.isRegularFile(dir.resolve(TRAINING_STATE)) && Files.isRegularFile(dir.resolve(HF_WEIGHTS))
                && !Files.isRegularFile(dir.resolve(HF_CONFIG))) {
            LOG.info("{}: clip train checkpoint folder, weights {}", dir, HF_WEIGHTS);
            return new CheckpointSource("clip train checkpoint folder", dir.resolve(HF_WEIGHTS), null, false);
        }
        Path ocConfig = dir.resolve(OPEN_CLIP_CONFIG);
        if (Files.isRegularFile(ocConfig)) {
            Path w = openClipWeights(dir);
            if (w != null) {
                LOG.info("{}: OpenCLIP directory, config from {}", dir, ocConfig);
                return new CheckpointSource("OpenCLIP directory", w, OpenClipConfigs.read(ocConfig), false);
            }
        }
        if (Files.isRegularFile(dir.resolve(HF_CONFIG))) {
            if (Files.isRegularFile(dir.resolve(HF_WEIGHTS))) return huggingFace(dir, dir.resolve(HF_WEIGHTS));
            if (Files.isRegularFile(dir.resolve(HF_TORCH_WEIGHTS))) return huggingFace(dir, dir.resolve(HF_TORCH_WEIGHTS));
        }
        List<String> found = list(dir);
        String hint = "";
        if (found.contains(HF_WEIGHTS + ".index.json") || found.contains(HF_TORCH_WEIGHTS + ".index.json")) {
            hint = "; sharded Hugging Face checkpoints are not supported";
        }
        throw new ClipException(dir + ": not a CLIP checkpoint directory: expected " + OPEN_CLIP_CONFIG
                + " + open_clip_model.safetensors or open_clip_pytorch_model.bin (OpenCLIP) or " + HF_CONFIG + " + "
                + HF_WEIGHTS + " or " + HF_TORCH_WEIGHTS + " (Hugging Face); found " + found + hint);
    }

    private static CheckpointSource huggingFace(Path dir, Path weights) {
        Path cfg = dir.resolve(HF_CONFIG);
        LOG.info("{}: Hugging Face CLIPModel directory, config from {}", dir, cfg);
        return new CheckpointSource("Hugging Face CLIPModel directory", weights, HfClipConfig.read(cfg), true);
    }

    /**
     * The preferred OpenCLIP weights file, else the only {@code *.safetensors} that is not HF's, else the only
     * PyTorch file ({@code .bin}, {@code .pt}, {@code .pth}); or null.
     */
    private static Path openClipWeights(Path dir) {
        for (String n : OPEN_CLIP_WEIGHTS) if (Files.isRegularFile(dir.resolve(n))) return dir.resolve(n);
        List<String> candidates = new ArrayList<>(), torch = new ArrayList<>();
        for (String n : list(dir)) {
            if (n.endsWith(".safetensors") && !n.equals(HF_WEIGHTS)) candidates.add(n);
            if (n.endsWith(".bin") || n.endsWith(".pt") || n.endsWith(".pth")) torch.add(n);
        }
        if (candidates.size() == 1) return dir.resolve(candidates.get(0));
        return candidates.isEmpty() && torch.size() == 1 ? dir.resolve(torch.get(0)) : null;
    }

    private static boolean hasHfNames(Path file) {
        try (WeightFile f = WeightFile.open(file)) {
            return f.contains("text_model.embeddings.token_embedding.weight");
        }
    }

    private static List<String> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new ClipException(dir + ": cannot list: " + e, e);
        }
    }
}
