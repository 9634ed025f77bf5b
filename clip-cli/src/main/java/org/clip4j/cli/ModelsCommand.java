package org.clip4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.encoders.ClipModel;
import org.clip4j.encoders.Provenance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code clip models}: the built-in OpenCLIP configs with parameter counts, image size and embedding size; with
 * files, what each model file holds — its architecture and, for a model trained by clip4j, its provenance.
 */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = {"Lists the built-in model configs (OpenCLIP names) with their trainable parameter",
                "counts (computed from the shapes), input image size, embedding size and towers.",
                "With FILEs: the same line for each model file, then how it was made",
                "(the provenance clip4j's trainer writes into every model file: data,",
                "steps, batches, optimiser, schedule, precision, versions), or that the",
                "file carries none (OpenAI's, OpenCLIP's and Hugging Face's do not)."})
final class ModelsCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "FILE",
            description = "model files or directories to describe, in any format --model takes")
    List<Path> files = new ArrayList<>();

    @Override
    public Integer call() {
        String header = String.format(Locale.ROOT, "%-24s %13s %6s %6s  %s", "name", "parameters", "image", "embed",
                "towers");
        if (files.isEmpty()) {
            System.out.println(header);
            for (String name : ClipConfig.names()) {
                ClipConfig c = ClipConfig.builtin(name);
                System.out.println(line(name, c, ClipModel.parameterCount(c)));
            }
            return 0;
        }
        for (Path file : files) {
            try (ClipModel m = ClipModel.load(file)) {
                if (file == files.get(0)) System.out.println(header);    // after the first file loaded
                System.out.println(line(file.getFileName().toString(), m.config(), ClipModel.parameterCount(m.config())));
                m.provenance().ifPresentOrElse(p -> provenance(p).forEach(kv -> System.out.println("  " + kv)),
                        () -> System.out.println("  provenance: none (not written by clip4j's trainer)"));
            }
        }
        return 0;
    }

    /** The provenance as "key: value" lines, in the order of its JSON object. */
    static List<String> provenance(Provenance p) {
        List<String> out = new ArrayList<>();
        out.add("provenance:");
        for (Iterator<Map.Entry<String, JsonNode>> it = p.toJsonNode().fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.add(String.format(Locale.ROOT, "  %-12s %s", e.getKey(), e.getValue().asText()));
        }
        return out;
    }

    /** One table row; the count uses ',' as thousands separator whatever the locale. */
    static String line(String name, ClipConfig c, long params) {
        ClipConfig.Vision v = c.vision();
        String vision = v.isResNet()
                ? "ModifiedResNet " + v.layers() + " width " + v.width()
                : "ViT " + v.depth() + "x" + v.width() + " patch " + v.patchSize();
        String towers = vision + "; text " + c.text().layers() + "x" + c.text().width()
                + (c.quickGelu() ? "; QuickGELU" : "; GELU");
        return String.format(Locale.US, "%-24s %,13d %6d %6d  %s", name, params, v.imageSize(), c.embedDim(), towers);
    }
}
