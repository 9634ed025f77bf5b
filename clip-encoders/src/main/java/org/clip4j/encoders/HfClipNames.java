package org.clip4j.encoders;

import org.clip4j.core.ClipException;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.nd4j.linalg.indexing.NDArrayIndex.interval;

/**
 * The one mapping between OpenAI/OpenCLIP state-dict entries and Hugging Face {@code CLIPModel} tensors, in both
 * directions, for names, shapes and values.
 *
 * <p>Most entries are renamed only. Three kinds change layout:
 * <ul>
 *   <li>{@code ...attn.in_proj_weight} [3W, W] (rows q, k, v) ⇄ {@code ...self_attn.{q,k,v}_proj.weight} [W, W]
 *       each, and {@code in_proj_bias} [3W] ⇄ {@code {q,k,v}_proj.bias} [W];</li>
 *   <li>{@code text_projection} [W, E] ⇄ {@code text_projection.weight} [E, W] (an {@code nn.Linear}
 *       weight, hence transposed);</li>
 *   <li>{@code visual.proj} [W, E] ⇄ {@code visual_projection.weight} [E, W] (likewise).</li>
 * </ul>
 * Hugging Face {@code *.position_ids} buffers have no OpenAI counterpart: {@link #isIgnorable} accepts them.
 * Hugging Face CLIP has Vision Transformer image towers only: ModifiedResNet entries have no mapping.
 */
public final class HfClipNames {
    private static final Pattern BLOCK = Pattern.compile("(visual\\.)?transformer\\.resblocks\\.(\\d+)\\.(.+)");
    private static final Pattern HF_BLOCK = Pattern.compile("(text|vision)_model\\.encoder\\.layers\\.(\\d+)\\.(.+)");
    private static final String[] QKV = {"q_proj", "k_proj", "v_proj"};

    /** Renames that keep the layout, outside the transformer blocks (OpenAI → HF). */
    private static final Map<String, String> PLAIN = new LinkedHashMap<>();
    /** Renames inside one residual block, after the {@code resblocks.i.} / {@code layers.i.} prefix. */
    private static final Map<String, String> BLOCK_PLAIN = new LinkedHashMap<>();
    /** Entries stored transposed in HF (2-D {@code nn.Linear} weights). */
    private static final Map<String, String> TRANSPOSED = Map.of(
            "text_projection", "text_projection.weight",
            "visual.proj", "visual_projection.weight");

    static {
        PLAIN.put("token_embedding.weight", "text_model.embeddings.token_embedding.weight");
        PLAIN.put("positional_embedding", "text_model.embeddings.position_embedding.weight");
        PLAIN.put("ln_final.weight", "text_model.final_layer_norm.weight");
        PLAIN.put("ln_final.bias", "text_model.final_layer_norm.bias");
        PLAIN.put("logit_scale", "logit_scale");
        PLAIN.put("visual.class_embedding", "vision_model.embeddings.class_embedding");
        PLAIN.put("visual.positional_embedding", "vision_model.embeddings.position_embedding.weight");
        PLAIN.put("visual.conv1.weight", "vision_model.embeddings.patch_embedding.weight");
        PLAIN.put("visual.ln_pre.weight", "vision_model.pre_layrnorm.weight"); // "layrnorm" is HF's spelling
        PLAIN.put("visual.ln_pre.bias", "vision_model.pre_layrnorm.bias");
        PLAIN.put("visual.ln_post.weight", "vision_model.post_layernorm.weight");
        PLAIN.put("visual.ln_post.bias", "vision_model.post_layernorm.bias");
        for (String wb : new String[] {"weight", "bias"}) {
            BLOCK_PLAIN.put("attn.out_proj." + wb, "self_attn.out_proj." + wb);
            BLOCK_PLAIN.put("ln_1." + wb, "layer_norm1." + wb);
            BLOCK_PLAIN.put("ln_2." + wb, "layer_norm2." + wb);
            BLOCK_PLAIN.put("mlp.c_fc." + wb, "mlp.fc1." + wb);
            BLOCK_PLAIN.put("mlp.c_proj." + wb, "mlp.fc2." + wb);
        }
    }

    private HfClipNames() {
    }

    /** One Hugging Face tensor: its name and shape. */
    public record Part(String name, long[] shape) {
    }

    /**
     * The Hugging Face tensors that hold the OpenAI entry {@code name} of shape {@code shape}: one for a rename or
     * a transposition, three (q, k, v) for a packed input projection. Throws for names without a mapping.
     */
    public static List<Part> toHf(String name, long[] shape) {
        String plain = PLAIN.get(name);
        if (plain != null) return List.of(new Part(plain, shape.clone()));
        String t = TRANSPOSED.get(name);
        if (t != null) return List.of(new Part(t, new long[] {shape[1], shape[0]}));
        Matcher m = BLOCK.matcher(name);
        if (m.matches()) {
            String prefix = (m.group(1) == null ? "text_model" : "vision_model") + ".encoder.layers." + m.group(2) + ".";
            String rest = m.group(3);
            String inner = BLOCK_PLAIN.get(rest);
            if (inner != null) return List.of(new Part(prefix + inner, shape.clone()));
            if (rest.equals("attn.in_proj_weight") || rest.equals("attn.in_proj_bias")) {
                String wb = rest.endsWith("weight") ? "weight" : "bias";
                long[] each = shape.clone();
                each[0] = shape[0] / 3;
                List<Part> out = new ArrayList<>(3);
                for (String p : QKV) out.add(new Part(prefix + "self_attn." + p + "." + wb, each));
                return out;
            }
        }
        throw new ClipException("state-dict entry '" + name + "' has no Hugging Face CLIPModel counterpart"
                + " (Hugging Face CLIP has Vision Transformer image towers only)");
    }

    /**
     * The OpenAI entry that a Hugging Face tensor belongs to (q/k/v projections all give the packed
     * {@code in_proj_*}); null for names outside the mapping.
     */
    public static String toOpenAi(String hfName) {
        for (Map.Entry<String, String> e : PLAIN.entrySet()) if (e.getValue().equals(hfName)) return e.getKey();
        for (Map.Entry<String, String> e : TRANSPOSED.entrySet()) if (e.getValue().equals(hfName)) return e.getKey();
        Matcher m = HF_BLOCK.matcher(hfName);
        if (!m.matches()) return null;
        String prefix = (m.group(1).equals("text") ? "" : "visual.") + "transformer.resblocks." + m.group(2) + ".";
        String rest = m.group(3);
        for (Map.Entry<String, String> e : BLOCK_PLAIN.entrySet()) {
            if (e.getValue().equals(rest)) return prefix + e.getKey();
        }
        for (String p : QKV) {
            if (rest.equals("self_attn." + p + ".weight")) return prefix + "attn.in_proj_weight";
            if (rest.equals("self_attn." + p + ".bias")) return prefix + "attn.in_proj_bias";
        }
        return null;
    }

    /** True for Hugging Face buffers that carry no weights ({@code position_ids}, an arange). */
    public static boolean isIgnorable(String hfName) {
        return hfName.equals("text_model.embeddings.position_ids")
                || hfName.equals("vision_model.embeddings.position_ids");
    }

    /** Builds the OpenAI value of {@code name} from its Hugging Face parts (in {@link #toHf} order). */
    public static INDArray joinParts(String name, List<INDArray> parts) {
        if (parts.size() == 3) return Nd4j.concat(0, parts.get(0), parts.get(1), parts.get(2));
        if (parts.size() != 1) throw new IllegalArgumentException(name + ": expected 1 or 3 parts, got " + parts.size());
        INDArray p = parts.get(0);
        return TRANSPOSED.containsKey(name) ? p.transpose().dup('c') : p;
    }

    /** Splits the OpenAI value of {@code name} into its Hugging Face parts (new arrays, in {@link #toHf} order). */
    public static List<INDArray> splitValue(String name, INDArray value) {
        List<Part> parts = toHf(name, value.shape());
        if (parts.size() == 3) {
            long n = value.size(0) / 3;
            List<INDArray> out = new ArrayList<>(3);
            for (int i = 0; i < 3; i++) out.add(value.get(interval(i * n, (i + 1) * n)).dup('c'));
            return out;
        }
        return List.of(TRANSPOSED.containsKey(name) ? value.transpose().dup('c') : value.dup('c'));
    }

    /** A whole OpenAI-named state dict in Hugging Face layout (insertion order kept). */
    public static Map<String, INDArray> toHf(Map<String, INDArray> openai) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : openai.entrySet()) {
            List<Part> parts = toHf(e.getKey(), e.getValue().shape());
            List<INDArray> values = splitValue(e.getKey(), e.getValue());
            for (int i = 0; i < parts.size(); i++) out.put(parts.get(i).name(), values.get(i));
        }
        return out;
    }

    /**
     * A whole Hugging Face state dict in OpenAI layout; {@code position_ids} are dropped, any other unknown or
     * incomplete entry is an error.
     */
    public static Map<String, INDArray> toOpenAi(Map<String, INDArray> hf) {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        for (String n : hf.keySet()) {
            if (isIgnorable(n)) continue;
            String o = toOpenAi(n);
            if (o == null) unknown.add(n);
            else groups.computeIfAbsent(o, k -> new ArrayList<>()).add(n);
        }
        if (!unknown.isEmpty()) throw new ClipException("tensors without an OpenAI CLIP counterpart: " + unknown);
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> g : groups.entrySet()) {
            String name = g.getKey();
            // Parts in toHf order: q, k, v for packed projections.
            long[] openaiShape = openAiShape(name, hf.get(g.getValue().get(0)).shape(), g.getValue().size());
            List<INDArray> parts = new ArrayList<>();
            for (Part p : toHf(name, openaiShape)) {
                INDArray v = hf.get(p.name());
                if (v == null) throw new ClipException("tensor '" + p.name() + "' is missing (needed for " + name + ")");
                parts.add(v);
            }
            out.put(name, joinParts(name, parts));
        }
        return out;
    }

    /** The OpenAI shape of {@code name}, given the shape of one of its {@code count} Hugging Face parts. */
    static long[] openAiShape(String name, long[] partShape, int count) {
        if (TRANSPOSED.containsKey(name)) return new long[] {partShape[1], partShape[0]};
        long[] s = partShape.clone();
        if (name.endsWith("attn.in_proj_weight") || name.endsWith("attn.in_proj_bias")) s[0] *= 3;
        return s;
    }
}
