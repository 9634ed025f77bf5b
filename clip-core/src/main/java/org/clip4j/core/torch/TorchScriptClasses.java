package org.clip4j.core.torch;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which attributes of a TorchScript module class are parameters and buffers, read from the class declarations
 * in a {@code torch.jit.save} archive's {@code code/} folder, e.g.
 * <pre>
 * class MultiheadAttention(Module):
 *   __parameters__ = ["in_proj_weight", "in_proj_bias", ]
 *   __buffers__ = []
 * </pre>
 * The files are only searched for these two lists, as text; no TorchScript is parsed, compiled or run. The
 * lists are what {@code module.state_dict()} includes: a tensor attribute in neither (an attention mask kept as
 * a plain attribute) is not part of the state dict.
 */
final class TorchScriptClasses {
    /** The declared parameter and buffer names of one class, in declaration order. */
    record Declaration(List<String> parameters, List<String> buffers) {
        boolean declares(String attribute) {
            return parameters.contains(attribute) || buffers.contains(attribute);
        }
    }

    private static final Pattern CLASS = Pattern.compile("(?m)^class\\s+([A-Za-z_][A-Za-z0-9_]*)\\s*[(:]");
    private static final Pattern LIST = Pattern.compile("(?m)^\\s+(__parameters__|__buffers__)\\s*=\\s*\\[([^\\]]*)\\]");
    private static final Pattern NAME = Pattern.compile("\"([^\"]*)\"|'([^']*)'");

    private final Map<String, Declaration> classes = new HashMap<>();

    /** The declaration of a qualified class name, e.g. {@code __torch__.clip.model.CLIP}, or null if unknown. */
    Declaration get(String qualifiedName) {
        return classes.get(qualifiedName);
    }

    int size() {
        return classes.size();
    }

    /**
     * Adds the classes of one code file.
     *
     * @param module the file's module, from its path: {@code code/__torch__/a/b.py} → {@code __torch__.a.b}
     * @param source the file's bytes (UTF-8)
     */
    void add(String module, ByteBuffer source) {
        byte[] b = new byte[source.remaining()];
        source.duplicate().get(b);
        String text = new String(b, StandardCharsets.UTF_8);
        Matcher c = CLASS.matcher(text);
        List<int[]> spans = new ArrayList<>();
        List<String> names = new ArrayList<>();
        while (c.find()) {
            if (!spans.isEmpty()) spans.get(spans.size() - 1)[1] = c.start();
            spans.add(new int[]{c.end(), text.length()});
            names.add(c.group(1));
        }
        for (int i = 0; i < spans.size(); i++) {
            List<String> params = new ArrayList<>(), buffers = new ArrayList<>();
            Matcher l = LIST.matcher(text).region(spans.get(i)[0], spans.get(i)[1]);
            while (l.find()) {
                Matcher n = NAME.matcher(l.group(2));
                List<String> into = l.group(1).equals("__parameters__") ? params : buffers;
                while (n.find()) into.add(n.group(1) != null ? n.group(1) : n.group(2));
            }
            classes.put(module + "." + names.get(i), new Declaration(List.copyOf(params), List.copyOf(buffers)));
        }
    }
}
