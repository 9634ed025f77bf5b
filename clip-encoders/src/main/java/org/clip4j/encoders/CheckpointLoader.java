package org.clip4j.encoders;

import org.clip4j.core.ClipException;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Tensors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a CLIP checkpoint into a {@link ClipModel}. Accepted inputs ({@link CheckpointSource} tells them apart):
 * <ul>
 *   <li>a {@code .safetensors} file with OpenAI/OpenCLIP names (OpenCLIP {@code CustomTextCLIP} {@code text.*}
 *       names too);</li>
 *   <li>a PyTorch checkpoint with those names, read without running any pickle code ({@link TorchWeights}):
 *       OpenAI's TorchScript archives ({@code ViT-B-32.pt}, {@code RN50.pt}), {@code torch.save} state dicts
 *       (zip or legacy format), open_clip training checkpoints ({@code "state_dict"} entry, {@code module.}
 *       prefixes removed);</li>
 *   <li>an OpenCLIP directory: {@code open_clip_config.json} + {@code open_clip_model.safetensors} (or
 *       {@code open_clip_pytorch_model.bin}, or another single weights file);</li>
 *   <li>a Hugging Face {@code CLIPModel} directory: {@code config.json} + {@code model.safetensors} or
 *       {@code pytorch_model.bin}.</li>
 * </ul>
 *
 * <p>For a single file, the config comes from, in this order: {@code __metadata__ open_clip_config} (written by
 * {@link ClipModel#save}); OpenAI {@code build_model} fields in {@code __metadata__} ({@code clip_config} and/or
 * the single fields, plus {@code transformer_heads}, {@code vision_heads}); a sibling
 * {@code open_clip_config.json}; or the tensor shapes, as the reference {@code build_model} infers them (text
 * heads = width/64 unless {@code transformer_heads} is in the metadata). The format and the config's origin are
 * logged at INFO.
 *
 * <p>Every entry is checked before anything is loaded; all missing, unexpected and mis-shaped tensors are
 * reported together, under the file's own names. F16/BF16 tensors are upcast. {@code num_batches_tracked}
 * counters may be absent.
 */
final class CheckpointLoader {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointLoader.class);

    private CheckpointLoader() {
    }

    /** Loads {@code path}; {@code override}, when not null, replaces the stored or inferred config. */
    static ClipModel load(Path path, DataType type, ClipConfig override) {
        if (type != DataType.FLOAT && type != DataType.DOUBLE) {
            throw new IllegalArgumentException("models compute in FLOAT or DOUBLE, not " + type);
        }
        CheckpointSource src = CheckpointSource.resolve(path);
        try (WeightFile f = WeightFile.open(src.weights())) {
            if (f.metadata().containsKey("optimizer") && f.metadata().containsKey("steps") && !f.contains("logit_scale")) {
                throw new ClipException(src.weights() + ": this is an optimizer state file (from a clip train checkpoint),"
                        + " not model weights; give the model.safetensors next to it, or the checkpoint folder");
            }
            TensorLayout layout = src.layout(f);
            ClipConfig cfg;
            if (override != null) {
                LOG.info("{}: config given by the caller: {}", path, override.toJson());
                cfg = override;
            } else {
                cfg = src.config() != null ? src.config() : resolveConfig(src.weights(), f);
            }
            LOG.info("{}: {} ({}), weights {} ({})", path, src.format(), layout.describe(), src.weights(), f.format());
            ClipModel model = new ClipModel(cfg, type);
            validate(src.weights(), f, model, layout);
            for (Parameter p : model.stateDict()) {
                List<HfClipNames.Part> parts = layout.parts(p.name(), p.shape());
                String first = parts.get(0).name();
                if (!f.contains(first)) {
                    p.set(Nd4j.scalar(DataType.INT64, 0L)); // absent counter (shape [])
                } else if (ModifiedResNet.isCounter(p)) {
                    p.set(Nd4j.scalar(DataType.INT64, f.longs(first)[0]));
                } else {
                    List<INDArray> values = new ArrayList<>(parts.size());
                    for (HfClipNames.Part part : parts) values.add(read(f, part, type));
                    INDArray v = layout.join(p.name(), values);
                    for (INDArray x : values) if (x != v) Tensors.release(x);
                    p.set(v);
                }
            }
            model.setProvenance(provenance(src.weights(), f.metadata()));
            return model;
        }
    }

    /**
     * The {@link Provenance} in {@code __metadata__}, or null when the file has none. A damaged one is reported
     * (WARN) and ignored: it describes the weights, which are fine.
     */
    private static Provenance provenance(Path weights, Map<String, String> meta) {
        String json = meta.get(Provenance.METADATA_KEY);
        if (json == null) return null;
        try {
            return Provenance.fromJson(json, weights + " __metadata__ " + Provenance.METADATA_KEY);
        } catch (ClipException e) {
            LOG.warn("{}; loading the weights without it", e.getMessage());
            return null;
        }
    }

    private static INDArray read(WeightFile f, HfClipNames.Part part, DataType type) {
        return type == DataType.DOUBLE
                ? Nd4j.create(f.doubles(part.name()), part.shape(), DataType.DOUBLE)
                : f.floatArray(part.name());
    }

    static ClipConfig resolveConfig(Path path, WeightFile f) {
        Map<String, String> meta = f.metadata();
        if (meta.containsKey("open_clip_config")) {
            LOG.info("{}: config from __metadata__ open_clip_config", path);
            return ClipConfig.fromJson(meta.get("open_clip_config"));
        }
        if (meta.containsKey("clip_config") || meta.containsKey("vision_width")) {
            LOG.info("{}: config from __metadata__ OpenAI fields (clip_config, transformer_heads, vision_heads)", path);
            return ClipConfig.fromOpenAiMetadata(meta);
        }
        Path sibling = path.toAbsolutePath().resolveSibling(CheckpointSource.OPEN_CLIP_CONFIG);
        if (Files.isRegularFile(sibling)) {
            LOG.info("{}: config from {}", path, sibling);
            return OpenClipConfigs.read(sibling);
        }
        LOG.info("{}: no config stored; inferring it from tensor shapes as the reference build_model does", path);
        return inferFromShapes(path, f);
    }

    /** The reference {@code build_model} inference, from tensor shapes alone. */
    static ClipConfig inferFromShapes(Path path, WeightFile f) {
        Map<String, String> fields = new LinkedHashMap<>();
        boolean vit = f.contains("visual.proj");
        if (vit) {
            long[] conv = shape(path, f, "visual.conv1.weight");
            long tokens = shape(path, f, "visual.positional_embedding")[0];
            long grid = Math.round(Math.sqrt(tokens - 1));
            fields.put("vision_width", Long.toString(conv[0]));
            fields.put("vision_layers", Integer.toString(countDistinct(f, "visual.transformer.resblocks.", 3)));
            fields.put("vision_patch_size", Long.toString(conv[3]));
            fields.put("image_resolution", Long.toString(conv[3] * grid));
        } else {
            List<Integer> counts = new ArrayList<>();
            for (int b = 1; b <= 4; b++) counts.add(countDistinct(f, "visual.layer" + b + ".", 2));
            fields.put("vision_width", Long.toString(shape(path, f, "visual.layer1.0.conv1.weight")[0]));
            fields.put("vision_layers", counts.toString());
            fields.put("vision_patch_size", "null");
            long tokens = shape(path, f, "visual.attnpool.positional_embedding")[0];
            fields.put("image_resolution", Long.toString(Math.round(Math.sqrt(tokens - 1)) * 32));
        }
        long textWidth = shape(path, f, "ln_final.weight")[0];
        fields.put("embed_dim", Long.toString(shape(path, f, "text_projection")[1]));
        fields.put("context_length", Long.toString(shape(path, f, "positional_embedding")[0]));
        fields.put("vocab_size", Long.toString(shape(path, f, "token_embedding.weight")[0]));
        fields.put("transformer_width", Long.toString(textWidth));
        String heads = f.metadata().get("transformer_heads");
        if (heads == null) {
            if (textWidth % 64 != 0) {
                throw new ClipException(path + ": cannot infer the text heads: the reference rule transformer_width/64"
                        + " does not divide transformer_width " + textWidth + "; store transformer_heads in"
                        + " __metadata__ or put an open_clip_config.json next to the file");
            }
            heads = Long.toString(textWidth / 64);
        }
        fields.put("transformer_heads", heads);
        fields.put("transformer_layers", Integer.toString(countDistinct(f, "transformer.resblocks.", 2)));
        if (f.metadata().containsKey("vision_heads")) fields.put("vision_heads", f.metadata().get("vision_heads"));
        return ClipConfig.fromOpenAiMetadata(fields);
    }

    private static long[] shape(Path path, WeightFile f, String name) {
        if (!f.contains(name)) {
            throw new ClipException(path + ": cannot infer the model config: tensor '" + name + "' is missing");
        }
        return f.shape(name);
    }

    /** Number of distinct values of the {@code part}-th dot-separated component among names with this prefix. */
    private static int countDistinct(WeightFile f, String prefix, int part) {
        Set<String> seen = new HashSet<>();
        for (String n : f.names()) if (n.startsWith(prefix)) seen.add(n.split("\\.")[part]);
        return seen.size();
    }

    /**
     * Checks names, shapes and dtypes of every file tensor the model needs under {@code layout}; throws one
     * exception listing every problem, in the file's names.
     */
    static void validate(Path path, WeightFile f, ClipModel model, TensorLayout layout) {
        List<String> missing = new ArrayList<>(), wrongShape = new ArrayList<>(), wrongType = new ArrayList<>();
        Set<String> expected = new HashSet<>();
        for (Parameter p : model.stateDict()) {
            for (HfClipNames.Part part : layout.parts(p.name(), p.shape())) {
                String name = part.name();
                expected.add(name);
                if (!f.contains(name)) {
                    if (!ModifiedResNet.isCounter(p)) missing.add(name + " " + Arrays.toString(part.shape()));
                    continue;
                }
                long[] shape = f.shape(name);
                if (!Arrays.equals(shape, part.shape())) {
                    wrongShape.add(name + ": expected " + Arrays.toString(part.shape()) + ", found "
                            + Arrays.toString(shape));
                }
                boolean wantFloat = !ModifiedResNet.isCounter(p);
                if (f.isFloat(name) != wantFloat) {
                    wrongType.add(name + ": expected " + (wantFloat ? "a floating dtype" : "an integer dtype")
                            + ", found " + f.dtype(name));
                }
            }
        }
        Set<String> unexpected = new TreeSet<>();
        for (String n : f.names()) {
            if (!expected.contains(n) && !layout.ignorable(n)) {
                unexpected.add(n + " " + Arrays.toString(f.shape(n)));
            }
        }
        if (missing.isEmpty() && wrongShape.isEmpty() && wrongType.isEmpty() && unexpected.isEmpty()) return;
        StringBuilder sb = new StringBuilder(path + ": tensors do not match the model config "
                + model.config().toJson() + " (" + layout.describe() + "):");
        section(sb, "missing", missing);
        section(sb, "unexpected", new ArrayList<>(unexpected));
        section(sb, "wrong shape", wrongShape);
        section(sb, "wrong dtype", wrongType);
        throw new ClipException(sb.toString());
    }

    private static void section(StringBuilder sb, String title, List<String> items) {
        if (items.isEmpty()) return;
        sb.append("\n  ").append(title).append(" (").append(items.size()).append("):");
        for (String s : items) sb.append("\n    ").append(s);
    }
}
