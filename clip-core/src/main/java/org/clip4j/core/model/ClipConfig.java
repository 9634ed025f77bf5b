package org.clip4j.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.clip4j.core.ClipException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Hyper-parameters of a CLIP model, immutable, in OpenCLIP's JSON layout:
 * <pre>{"embed_dim": 512, "quick_gelu": true,
 *  "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32, "head_width": 64, "mlp_ratio": 4.0},
 *  "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12}}</pre>
 * {@code vision_cfg.layers} is an int for a Vision Transformer and a list of 4 ints (with {@code patch_size}
 * null) for a ModifiedResNet.
 *
 * @param embedDim   dimension of the shared image-text embedding space
 * @param quickGelu  true for {@code x·σ(1.702x)} (all OpenAI weights), false for exact erf GELU
 */
public record ClipConfig(int embedDim, boolean quickGelu, Vision vision, Text text) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> BUILTIN = List.of(
            "RN50", "RN101", "RN50x4", "RN50x16", "RN50x64", "ViT-B-32", "ViT-B-16", "ViT-L-14", "ViT-L-14-336");
    /**
     * clip4j's own configs (no OpenCLIP twin): {@code clip4j-tiny}, a 32-pixel ViT that learns the synthetic
     * shapes in minutes on a CPU (the {@code clip demo} model).
     */
    private static final List<String> OWN = List.of("clip4j-tiny");

    /**
     * Image tower. For a ViT, heads = width / headWidth; for a ModifiedResNet the attention pool works on
     * width·32 channels and has width·32 / headWidth heads.
     *
     * @param layers    one entry (ViT depth) or four (ResNet blocks per stage)
     * @param patchSize ViT patch size, null for a ModifiedResNet
     */
    public record Vision(int imageSize, List<Integer> layers, int width, Integer patchSize, int headWidth,
                         double mlpRatio) {
        public Vision {
            layers = List.copyOf(layers);
            if (patchSize == null && layers.size() != 4) {
                throw new ClipException("vision_cfg: a ModifiedResNet (patch_size null) needs 4 layer counts, got "
                        + layers);
            }
            if (patchSize != null && layers.size() != 1) {
                throw new ClipException("vision_cfg: a Vision Transformer (patch_size " + patchSize
                        + ") needs one int 'layers', got " + layers);
            }
            if (patchSize != null && imageSize % patchSize != 0) {
                throw new ClipException("vision_cfg: image_size " + imageSize + " is not a multiple of patch_size "
                        + patchSize);
            }
            if (headWidth <= 0) throw new ClipException("vision_cfg: head_width must be positive, got " + headWidth);
        }

        public boolean isResNet() {
            return patchSize == null;
        }

        /** ViT depth; throws for a ResNet. */
        public int depth() {
            if (isResNet()) throw new IllegalStateException("a ModifiedResNet has no single depth: " + layers);
            return layers.get(0);
        }

        /** Attention heads: width/headWidth (ViT) or width·32/headWidth (ResNet attention pool). */
        public int heads() {
            return isResNet() ? width * 32 / headWidth : width / headWidth;
        }

        /** ViT patches per side. */
        public int grid() {
            return imageSize / patchSize;
        }
    }

    /** Text tower: a causal transformer over {@code contextLength} token ids. */
    public record Text(int contextLength, int vocabSize, int width, int heads, int layers, double mlpRatio) {
        public Text {
            if (heads <= 0 || width % heads != 0) {
                throw new ClipException("text_cfg: width " + width + " is not divisible by heads " + heads);
            }
        }
    }

    /** Names of the built-in configs: the OpenCLIP ones, each also with a {@code -quickgelu} twin, then clip4j's own. */
    public static List<String> names() {
        List<String> out = new java.util.ArrayList<>();
        for (String n : BUILTIN) {
            out.add(n);
            out.add(n + "-quickgelu");
        }
        out.addAll(OWN);
        return List.copyOf(out);
    }

    /** A built-in config by OpenCLIP name, e.g. {@code ViT-B-32} or {@code RN50-quickgelu}. */
    public static ClipConfig builtin(String name) {
        String res = "configs/" + name + ".json";
        try (InputStream in = ClipConfig.class.getResourceAsStream(res)) {
            if (in == null) throw new ClipException("no built-in CLIP config '" + name + "'; known: " + names());
            return fromJson(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ClipException("cannot read built-in config " + res + ": " + e, e);
        }
    }

    /** Reads an OpenCLIP JSON file (a bare model config, or an {@code open_clip_config.json} with "model_cfg"). */
    public static ClipConfig fromJson(Path path) {
        try {
            return fromJson(Files.readString(path));
        } catch (IOException e) {
            throw new ClipException(path + ": cannot read config: " + e, e);
        } catch (ClipException e) {
            throw new ClipException(path + ": " + e.getMessage(), e);
        }
    }

    /** Parses OpenCLIP JSON (a bare model config, or an object with a "model_cfg" member). */
    public static ClipConfig fromJson(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new ClipException("CLIP config is not valid JSON: " + e.getMessage(), e);
        }
        if (root.has("model_cfg")) root = root.get("model_cfg");
        JsonNode v = need(root, "vision_cfg", "");
        JsonNode t = need(root, "text_cfg", "");
        JsonNode layers = need(v, "layers", "vision_cfg.");
        List<Integer> layerList;
        if (layers.isArray()) {
            layerList = new java.util.ArrayList<>();
            for (JsonNode n : layers) layerList.add(n.asInt());
        } else if (layers.isInt()) {
            layerList = List.of(layers.asInt());
        } else {
            throw new ClipException("vision_cfg.layers: expected an int or a list of 4 ints, got " + layers);
        }
        JsonNode ps = v.get("patch_size");
        Integer patch = ps == null || ps.isNull() ? null : ps.asInt();
        Vision vision = new Vision(needInt(v, "image_size", "vision_cfg."), layerList, needInt(v, "width", "vision_cfg."),
                patch, v.path("head_width").asInt(64), v.path("mlp_ratio").asDouble(4.0));
        Text text = new Text(t.path("context_length").asInt(77), t.path("vocab_size").asInt(49408),
                t.path("width").asInt(512), t.path("heads").asInt(8), t.path("layers").asInt(12),
                t.path("mlp_ratio").asDouble(4.0));
        return new ClipConfig(needInt(root, "embed_dim", ""), root.path("quick_gelu").asBoolean(false), vision, text);
    }

    /**
     * Converts OpenAI {@code build_model} fields, as stored (JSON-encoded strings) in a checkpoint's safetensors
     * {@code __metadata__}: {@code clip_config} (a JSON object with embed_dim, image_resolution, vision_layers,
     * vision_width, vision_patch_size, context_length, vocab_size, transformer_width, transformer_heads,
     * transformer_layers) or the same fields one by one, plus {@code vision_heads}. OpenAI weights use QuickGELU.
     */
    public static ClipConfig fromOpenAiMetadata(Map<String, String> meta) {
        ObjectNode f = JSON.createObjectNode();
        try {
            if (meta.containsKey("clip_config")) {
                f = (ObjectNode) JSON.readTree(meta.get("clip_config"));
            }
            for (String k : List.of("embed_dim", "image_resolution", "vision_layers", "vision_width",
                    "vision_patch_size", "context_length", "vocab_size", "transformer_width", "transformer_heads",
                    "transformer_layers", "vision_heads")) {
                if (!f.has(k) && meta.containsKey(k)) f.set(k, JSON.readTree(meta.get(k)));
            }
        } catch (IOException | ClassCastException e) {
            throw new ClipException("__metadata__: clip_config is not a JSON object: " + e.getMessage(), e);
        }
        JsonNode vl = need(f, "vision_layers", "__metadata__ clip_config.");
        List<Integer> layers = new java.util.ArrayList<>();
        if (vl.isArray()) for (JsonNode n : vl) layers.add(n.asInt());
        else layers.add(vl.asInt());
        JsonNode ps = f.get("vision_patch_size");
        Integer patch = ps == null || ps.isNull() ? null : ps.asInt();
        int vWidth = needInt(f, "vision_width", "__metadata__ clip_config.");
        boolean resnet = patch == null;
        // Reference default heads: ViT width/64, ResNet width·32/64; a stored vision_heads overrides.
        int vHeads = f.has("vision_heads") ? f.get("vision_heads").asInt() : (resnet ? vWidth * 32 / 64 : vWidth / 64);
        int headWidth = resnet ? vWidth * 32 / vHeads : vWidth / vHeads;
        int tWidth = needInt(f, "transformer_width", "__metadata__ clip_config.");
        int tHeads = f.has("transformer_heads") ? f.get("transformer_heads").asInt() : tWidth / 64;
        Vision vision = new Vision(needInt(f, "image_resolution", "__metadata__ clip_config."), layers, vWidth, patch,
                headWidth, 4.0);
        Text text = new Text(needInt(f, "context_length", "__metadata__ clip_config."),
                needInt(f, "vocab_size", "__metadata__ clip_config."), tWidth, tHeads,
                needInt(f, "transformer_layers", "__metadata__ clip_config."), 4.0);
        return new ClipConfig(needInt(f, "embed_dim", "__metadata__ clip_config."), true, vision, text);
    }

    /** This config as OpenCLIP JSON (every field written, defaults included). */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("embed_dim", embedDim);
        root.put("quick_gelu", quickGelu);
        ObjectNode v = root.putObject("vision_cfg");
        v.put("image_size", vision.imageSize);
        if (vision.isResNet()) {
            ArrayNode a = v.putArray("layers");
            for (int n : vision.layers) a.add(n);
            v.putNull("patch_size");
        } else {
            v.put("layers", vision.depth());
            v.put("patch_size", vision.patchSize);
        }
        v.put("width", vision.width);
        v.put("head_width", vision.headWidth);
        v.put("mlp_ratio", vision.mlpRatio);
        ObjectNode t = root.putObject("text_cfg");
        t.put("context_length", text.contextLength);
        t.put("vocab_size", text.vocabSize);
        t.put("width", text.width);
        t.put("heads", text.heads);
        t.put("layers", text.layers);
        t.put("mlp_ratio", text.mlpRatio);
        return root.toString();
    }

    /** The OpenAI {@code build_model} fields (what {@code clip_config} metadata holds), as a JSON object. */
    public String toOpenAiJson() {
        ObjectNode f = JSON.createObjectNode();
        f.put("context_length", text.contextLength);
        f.put("embed_dim", embedDim);
        f.put("image_resolution", vision.imageSize);
        f.put("transformer_heads", text.heads);
        f.put("transformer_layers", text.layers);
        f.put("transformer_width", text.width);
        if (vision.isResNet()) {
            ArrayNode a = f.putArray("vision_layers");
            for (int n : vision.layers) a.add(n);
            f.putNull("vision_patch_size");
        } else {
            f.put("vision_layers", vision.depth());
            f.put("vision_patch_size", vision.patchSize);
        }
        f.put("vision_width", vision.width);
        f.put("vocab_size", text.vocabSize);
        return f.toString();
    }

    private static JsonNode need(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) throw new ClipException("CLIP config: missing field '" + where + field + "'");
        return v;
    }

    private static int needInt(JsonNode n, String field, String where) {
        JsonNode v = need(n, field, where);
        if (!v.canConvertToInt()) {
            throw new ClipException("CLIP config: field '" + where + field + "' must be an int, got " + v);
        }
        return v.asInt();
    }
}
