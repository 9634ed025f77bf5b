package org.clip4j.encoders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.clip4j.core.ClipException;
import org.clip4j.core.model.ClipConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts between a Hugging Face {@code CLIPModel} {@code config.json} and a {@link ClipConfig}.
 *
 * <p>Read: {@code projection_dim} (top level) → embed_dim; from {@code text_config}: hidden_size,
 * num_hidden_layers, num_attention_heads, intermediate_size (→ mlp_ratio = intermediate/hidden),
 * max_position_embeddings (→ context_length), vocab_size, hidden_act; from {@code vision_config}: hidden_size,
 * num_hidden_layers, num_attention_heads (→ head_width = hidden/heads), intermediate_size, image_size,
 * patch_size, hidden_act. Absent fields take the transformers defaults (those of openai/clip-vit-base-patch32).
 * The legacy {@code text_config_dict}/{@code vision_config_dict} members override, as in transformers.
 * {@code hidden_act} must be {@code quick_gelu} or {@code gelu} (exact erf) and the same in both towers;
 * {@code layer_norm_eps} must be 1e-5 and {@code num_channels} 3: anything else is reported as unsupported.
 */
public final class HfClipConfig {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HfClipConfig() {
    }

    /** Reads {@code config.json}; errors name the file. */
    public static ClipConfig read(Path configJson) {
        try {
            return parse(Files.readString(configJson));
        } catch (IOException e) {
            throw new ClipException(configJson + ": cannot read: " + e, e);
        } catch (ClipException e) {
            throw new ClipException(configJson + ": " + e.getMessage(), e);
        }
    }

    /** Parses the JSON text of a Hugging Face CLIP {@code config.json}. */
    public static ClipConfig parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new ClipException("not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new ClipException("expected a JSON object");
        String type = root.path("model_type").asText("clip");
        if (!type.equals("clip")) {
            throw new ClipException("model_type '" + type + "' is not a Hugging Face CLIPModel ('clip');"
                    + " only CLIPModel checkpoints with both towers are supported");
        }
        JsonNode t = merged(root, "text_config"), v = merged(root, "vision_config");
        List<String> unsupported = new ArrayList<>();
        String textAct = t.path("hidden_act").asText("quick_gelu"), visionAct = v.path("hidden_act").asText("quick_gelu");
        for (String act : new String[] {textAct, visionAct}) {
            if (!act.equals("quick_gelu") && !act.equals("gelu")) unsupported.add("hidden_act '" + act + "'");
        }
        if (!textAct.equals(visionAct)) {
            unsupported.add("different activations in the towers (text " + textAct + ", vision " + visionAct + ")");
        }
        for (JsonNode c : new JsonNode[] {t, v}) {
            double eps = c.path("layer_norm_eps").asDouble(1e-5);
            if (eps != 1e-5) unsupported.add("layer_norm_eps " + eps + " (clip4j uses 1e-5)");
        }
        if (v.path("num_channels").asInt(3) != 3) unsupported.add("num_channels " + v.get("num_channels"));
        if (!unsupported.isEmpty()) throw new ClipException("unsupported CLIP config: " + String.join(", ", unsupported));

        int tWidth = t.path("hidden_size").asInt(512);
        int vWidth = v.path("hidden_size").asInt(768);
        int vHeads = v.path("num_attention_heads").asInt(12);
        if (vHeads <= 0 || vWidth % vHeads != 0) {
            throw new ClipException("vision_config: hidden_size " + vWidth + " is not divisible by num_attention_heads " + vHeads);
        }
        checkMlp("text_config", tWidth, t.path("intermediate_size").asLong(2048));
        checkMlp("vision_config", vWidth, v.path("intermediate_size").asLong(3072));
        ClipConfig.Vision vision = new ClipConfig.Vision(v.path("image_size").asInt(224),
                List.of(v.path("num_hidden_layers").asInt(12)), vWidth, v.path("patch_size").asInt(32),
                vWidth / vHeads, v.path("intermediate_size").asDouble(3072) / vWidth);
        ClipConfig.Text text = new ClipConfig.Text(t.path("max_position_embeddings").asInt(77),
                t.path("vocab_size").asInt(49408), tWidth, t.path("num_attention_heads").asInt(8),
                t.path("num_hidden_layers").asInt(12), t.path("intermediate_size").asDouble(2048) / tWidth);
        return new ClipConfig(root.path("projection_dim").asInt(512), textAct.equals("quick_gelu"), vision, text);
    }

    /** The MLP is built with {@code (long) (width * mlp_ratio)} hidden units: that must give intermediate_size back. */
    private static void checkMlp(String where, int width, long intermediate) {
        if ((long) (width * ((double) intermediate / width)) != intermediate) {
            throw new ClipException(where + ": intermediate_size " + intermediate + " is not representable as"
                    + " hidden_size " + width + " × mlp_ratio");
        }
    }

    /** {@code root[name]} with the legacy {@code root[name + "_dict"]} fields laid over it. */
    private static JsonNode merged(JsonNode root, String name) {
        ObjectNode out = JSON.createObjectNode();
        for (String key : new String[] {name, name + "_dict"}) {
            JsonNode n = root.get(key);
            if (n != null && n.isObject()) out.setAll((ObjectNode) n);
        }
        return out;
    }

    /**
     * The {@code config.json} of a Hugging Face {@code CLIPModel} with this config (ViT image towers only).
     * {@code eos_token_id} is 2, the value that makes transformers pool the text at {@code argmax(input_ids)},
     * as OpenAI CLIP and clip4j do, whatever the vocabulary size.
     */
    public static String toJson(ClipConfig cfg) {
        if (cfg.vision().isResNet()) {
            throw new ClipException("Hugging Face CLIPModel has no ModifiedResNet image tower; cannot export "
                    + cfg.vision().layers());
        }
        String act = cfg.quickGelu() ? "quick_gelu" : "gelu";
        ObjectNode root = JSON.createObjectNode();
        root.putArray("architectures").add("CLIPModel");
        root.put("model_type", "clip");
        root.put("projection_dim", cfg.embedDim());
        root.put("logit_scale_init_value", 2.6592);
        root.put("initializer_factor", 1.0);
        ObjectNode t = root.putObject("text_config");
        ClipConfig.Text tc = cfg.text();
        t.put("model_type", "clip_text_model");
        t.put("hidden_size", tc.width());
        t.put("intermediate_size", Math.round(tc.width() * tc.mlpRatio()));
        t.put("num_attention_heads", tc.heads());
        t.put("num_hidden_layers", tc.layers());
        t.put("max_position_embeddings", tc.contextLength());
        t.put("vocab_size", tc.vocabSize());
        t.put("hidden_act", act);
        t.put("layer_norm_eps", 1e-5);
        t.put("projection_dim", cfg.embedDim());
        t.put("bos_token_id", 0);
        t.put("eos_token_id", 2);
        t.put("pad_token_id", 1);
        ObjectNode v = root.putObject("vision_config");
        ClipConfig.Vision vc = cfg.vision();
        v.put("model_type", "clip_vision_model");
        v.put("hidden_size", vc.width());
        v.put("intermediate_size", Math.round(vc.width() * vc.mlpRatio()));
        v.put("num_attention_heads", vc.heads());
        v.put("num_hidden_layers", vc.depth());
        v.put("image_size", vc.imageSize());
        v.put("patch_size", vc.patchSize());
        v.put("num_channels", 3);
        v.put("hidden_act", act);
        v.put("layer_norm_eps", 1e-5);
        v.put("projection_dim", cfg.embedDim());
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
