package org.clip4j.encoders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.clip4j.core.ClipException;
import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.model.ClipConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an OpenCLIP model config ({@code open_clip_config.json} with {@code model_cfg}, or a bare model config)
 * and rejects the options that build a model other than the plain OpenAI-style {@code CLIP}.
 *
 * <p>Supported: {@code embed_dim}, {@code quick_gelu}, {@code custom_text} (the text tower's names then carry
 * {@code text.}), vision {@code image_size, layers, width, patch_size, head_width, mlp_ratio} (a ViT, or a
 * ModifiedResNet when {@code layers} is a list), text {@code context_length, vocab_size, width, heads, layers,
 * mlp_ratio}. Options with a non-default value that change the network (timm or Hugging Face towers, LayerScale,
 * attentional pooling, another pooling, no causal mask, a projection bias, {@code init_logit_bias} of SigLIP,
 * another tokenizer...) are listed in one error. Unknown options are logged as warnings.
 */
final class OpenClipConfigs {
    private static final Logger LOG = LoggerFactory.getLogger(OpenClipConfigs.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Keys that never change the inference network (training-only or read elsewhere). */
    private static final Set<String> TOP_OK = Set.of("embed_dim", "quick_gelu", "vision_cfg", "text_cfg",
            "custom_text", "cast_dtype", "init_logit_scale");
    private static final Set<String> VISION_OK = Set.of("image_size", "layers", "width", "patch_size", "head_width",
            "mlp_ratio", "patch_dropout");
    private static final Set<String> TEXT_OK = Set.of("context_length", "vocab_size", "width", "heads", "layers",
            "mlp_ratio");
    /** Keys accepted only with these (default) values; JSON null also counts as the default. */
    private static final Map<String, Object> VISION_DEFAULTS = defaults(
            "ls_init_value", null, "attentional_pool", false, "no_ln_pre", false, "pool_type", "tok",
            "final_ln_after_pool", false, "output_tokens", false, "timm_model_name", null, "pos_embed_type",
            "learnable", "input_patchnorm", false, "global_average_pool", false, "act_kwargs", null,
            "norm_kwargs", null);
    private static final Map<String, Object> TEXT_DEFAULTS = defaults(
            "ls_init_value", null, "hf_model_name", null, "hf_tokenizer_name", null, "tokenizer_kwargs", null,
            "embed_cls", false, "pad_id", 0, "no_causal_mask", false, "final_ln_after_pool", false,
            "pool_type", "argmax", "proj_bias", false, "proj_type", "linear", "output_tokens", false,
            "act_kwargs", null, "norm_kwargs", null, "attn_mask", true);
    private static final Map<String, Object> TOP_DEFAULTS = defaults("init_logit_bias", null);

    private OpenClipConfigs() {
    }

    /** Reads and checks a config file; errors name the file. */
    static ClipConfig read(Path json) {
        try {
            return parse(Files.readString(json));
        } catch (IOException e) {
            throw new ClipException(json + ": cannot read config: " + e, e);
        } catch (ClipException e) {
            throw new ClipException(json + ": " + e.getMessage(), e);
        }
    }

    /** Checks then parses OpenCLIP JSON. */
    static ClipConfig parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new ClipException("CLIP config is not valid JSON: " + e.getMessage(), e);
        }
        JsonNode cfg = root.has("model_cfg") ? root.get("model_cfg") : root;
        List<String> problems = new ArrayList<>();
        check(cfg, "", TOP_OK, TOP_DEFAULTS, problems);
        check(cfg.path("vision_cfg"), "vision_cfg.", VISION_OK, VISION_DEFAULTS, problems);
        check(cfg.path("text_cfg"), "text_cfg.", TEXT_OK, TEXT_DEFAULTS, problems);
        warnPreprocess(root.path("preprocess_cfg"));
        if (!problems.isEmpty()) {
            throw new ClipException("OpenCLIP model options clip4j does not implement (only the plain CLIP"
                    + " architecture is supported): " + String.join(", ", problems));
        }
        return ClipConfig.fromJson(json);
    }

    /** clip4j preprocesses with CLIP's mean/std; a model trained with others deserves a warning. */
    private static void warnPreprocess(JsonNode pre) {
        float[][] clip = {ImagePreprocessor.clipMean(), ImagePreprocessor.clipStd()};
        String[] keys = {"mean", "std"};
        for (int k = 0; k < 2; k++) {
            JsonNode v = pre.path(keys[k]);
            if (!v.isArray()) continue;
            boolean same = v.size() == 3;
            for (int c = 0; same && c < 3; c++) same = Math.abs(v.get(c).asDouble() - clip[k][c]) < 1e-6;
            if (!same) {
                LOG.warn("OpenCLIP preprocess_cfg.{} is {}, not CLIP's; clip4j's CLI preprocesses with CLIP's values",
                        keys[k], v);
            }
        }
    }

    private static void check(JsonNode node, String where, Set<String> ok, Map<String, Object> defaults,
                              List<String> problems) {
        if (!node.isObject()) return;
        node.fieldNames().forEachRemaining(k -> {
            if (ok.contains(k)) return;
            JsonNode v = node.get(k);
            if (defaults.containsKey(k)) {
                if (!isDefault(v, defaults.get(k))) problems.add(where + k + "=" + v);
            } else {
                LOG.warn("OpenCLIP config: unknown option {}{}={} ignored", where, k, v);
            }
        });
    }

    private static boolean isDefault(JsonNode v, Object def) {
        if (v == null || v.isNull()) return true;
        if (v.isObject() && v.isEmpty()) return def == null; // empty kwargs
        if (def == null) return false;
        if (def instanceof Boolean b) return v.isBoolean() && v.asBoolean() == b;
        if (def instanceof Integer i) return v.isNumber() && v.asInt() == i;
        return v.isTextual() && v.asText().equals(def);
    }

    private static Map<String, Object> defaults(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }
}
