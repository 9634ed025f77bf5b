package org.clip4j.cli;

import org.clip4j.core.nn.Tensors;
import org.clip4j.encoders.ClipModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code clip zeroshot}: zero-shot classification as in the openai/CLIP README. Each label is put into the
 * template, the probabilities are {@code logits_per_image.softmax(dim=-1)} with the model's logits
 * {@code exp(logit_scale) · cos(image, text)} (100·cos for trained OpenAI weights, whose logit_scale is ln 100).
 */
@Command(name = "zeroshot", mixinStandardHelpOptions = true,
        description = {"Zero-shot classification. For each image prints the image path, then its most",
                "probable labels, one per line: probability (6 decimals), two spaces, label.",
                "Probabilities: softmax over the labels of exp(logit_scale) * cos(image,",
                "caption), i.e. logits_per_image.softmax(dim=-1) as in the openai/CLIP README."})
final class ZeroshotCommand implements Callable<Integer> {
    @Mixin
    ModelOption model = new ModelOption();

    @Option(names = "--labels", paramLabel = "L1,L2,...", hideParamSyntax = true, required = true, split = ",",
            description = "Class labels, comma-separated.")
    List<String> labels;

    @Option(names = "--template", paramLabel = "T", defaultValue = "a photo of a {}.",
            description = "Caption template; {} is replaced by the label (default: \"${DEFAULT-VALUE}\").")
    String template;

    @Option(names = "--top", paramLabel = "K", defaultValue = "5", description = "Labels shown per image (default: ${DEFAULT-VALUE}).")
    int top;

    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "Image files.")
    List<Path> images;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        List<String> names = new ArrayList<>();
        for (String l : labels) if (!l.isBlank()) names.add(l.trim());
        if (names.isEmpty()) throw new CommandLine.ParameterException(spec.commandLine(), "--labels: no label given");
        if (!template.contains("{}")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--template '" + template + "' has no {}");
        }
        if (top < 1) throw new CommandLine.ParameterException(spec.commandLine(), "--top " + top + ": expected at least 1");
        List<String> captions = names.stream().map(l -> template.replace("{}", l)).toList();

        double[][] probs;
        try (ClipModel m = model.load()) {
            ModelInputs in = model.inputs(m);
            INDArray px = in.images(images), ids = in.tokens(captions, "--labels");
            try (ClipModel.Logits logits = m.logits(px, ids)) {
                probs = softmaxRows(logits.perImage());
            } finally {
                Tensors.release(px, ids);
            }
        }
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        for (int i = 0; i < images.size(); i++) {
            out.println(images.get(i));
            double[] p = probs[i];
            Integer[] order = new Integer[p.length];
            for (int j = 0; j < p.length; j++) order[j] = j;
            Arrays.sort(order, Comparator.comparingDouble((Integer j) -> -p[j])); // stable: ties keep label order
            for (int k = 0; k < Math.min(top, p.length); k++) {
                out.printf(Locale.ROOT, "  %.6f  %s%n", p[order[k]], names.get(order[k]));
            }
        }
        out.flush();
        return 0;
    }

    /** Row-wise softmax in double, max-subtracted. */
    static double[][] softmaxRows(INDArray logits) {
        double[][] out = logits.toDoubleMatrix();
        for (double[] row : out) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (double v : row) max = Math.max(max, v);
            for (int j = 0; j < row.length; j++) sum += row[j] = Math.exp(row[j] - max);
            for (int j = 0; j < row.length; j++) row[j] /= sum;
        }
        return out;
    }
}
