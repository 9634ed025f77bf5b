package org.clip4j.cli;

import org.clip4j.core.ClipException;
import org.clip4j.eval.ClassificationReport;
import org.clip4j.eval.EvalCache;
import org.clip4j.eval.ImageFeatureExtractor;
import org.clip4j.eval.PromptSet;
import org.clip4j.eval.ZeroShotClassifier;
import org.clip4j.eval.data.ClassificationDataset;
import org.clip4j.eval.data.DatasetSpec;
import org.clip4j.encoders.ClipModel;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code clip eval zeroshot}: the prompt-ensembled zero-shot classifier of {@link ZeroShotClassifier} on a labelled
 * dataset; top-1/top-5, per-class accuracy and the confusion matrix.
 */
@Command(name = "zeroshot", mixinStandardHelpOptions = true,
        description = {"Zero-shot classification of a labelled dataset with prompt ensembling:",
                "each class embedding is the renormalised mean of its normalised prompt",
                "embeddings; logits = 100 * cos(image, class)."})
final class EvalZeroshotCommand implements Callable<Integer> {
    @Mixin
    ModelOption model = new ModelOption();

    @Option(names = "--dataset", paramLabel = "SPEC", required = true,
            description = "The images (split defaults to test), e.g. fashion-mnist, cifar10:test:DIR, imagefolder:DIR.")
    String dataset;

    @Option(names = "--classes", paramLabel = "NAME|FILE",
            description = {"Class names in label order: a built-in set (imagenet1k, cifar10, cifar100,",
                    "fashion-mnist) or a file with one per line. Default: the built-in set of",
                    "the dataset, else the dataset's own class names."})
    String classes;

    @Option(names = "--templates", paramLabel = "NAME|FILE",
            description = {"Prompt templates with {}: built-in (imagenet1k = the 80 OpenAI templates,",
                    "imagenet1k-7, cifar10, cifar100, fashion-mnist, photo) or a file with one per",
                    "line. Default: the dataset's built-in templates, else photo."})
    String templates;

    @Mixin
    EvalBatch batch = new EvalBatch();

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "Evaluate N images spread evenly over the dataset (0: all).")
    int limit;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Cache the class embeddings here (keyed by model file, classes, templates).")
    Path cacheDir;

    @Mixin
    EvalOutput out = new EvalOutput();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        int batchSize = batch.size();
        if (limit < 0) throw new CommandLine.ParameterException(spec.commandLine(), "--limit " + limit + ": expected 0 (all) or more");
        out.check(model.asInput());
        DatasetSpec ds = DatasetSpec.parse(dataset);
        ClassificationDataset data = ds.open("test");
        String builtin = PromptSet.builtinNames().contains(ds.kind()) ? ds.kind() : null;
        List<String> names = classes != null ? lines(classes, true)
                : builtin != null ? PromptSet.builtin(builtin).classes() : data.classes();
        List<String> temps = templates != null ? lines(templates, false)
                : builtin != null ? PromptSet.builtinTemplates(builtin) : PromptSet.builtinTemplates("photo");
        if (names.size() != data.classes().size()) {
            throw new ClipException("--classes: " + names.size() + " class names for " + data.describe() + " with "
                    + data.classes().size() + " classes (the names must follow the dataset's label order)");
        }
        PromptSet prompts = new PromptSet(builtin == null ? "custom" : builtin, names, temps);
        int[] idx = ImageFeatureExtractor.spread(data.size(), limit);
        ClassificationReport report;
        try (ClipModel m = model.load()) {
            ModelInputs in = model.inputs(m);
            java.util.function.Supplier<ZeroShotClassifier> build = () -> {
                EvalProgress p = new EvalProgress(System.err, "class embeddings");
                int[] done = {0};
                int total = names.size() * temps.size();
                return ZeroShotClassifier.build(prompts, batchSize, texts -> {
                    INDArray ids = in.tokens(texts, "prompts");
                    INDArray f = m.encodeText(ids);                        // [b, E]
                    ids.close();
                    done[0] += texts.size();
                    p.update("prompts", done[0], total);
                    return f;
                });
            };
            String key = "zeroshot|" + EvalCache.fileIdentity(model.path()) + "|" + String.join("\n", names) + "|" + String.join("\n", temps);
            try (ZeroShotClassifier z = cacheDir == null ? build.get() : new EvalCache(cacheDir).classifier(key, build)) {
                report = z.evaluate(m, data, idx, batchSize, new EvalProgress(System.err, "zero-shot"));
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("task", "zeroshot");
        r.put("model", model.path().toString());
        r.put("dataset", data.describe());
        r.put("classes", names.size());
        r.put("templates", temps.size());
        r.putAll(EvalReport.classification(report));
        System.out.println(EvalReport.json(r));
        out.write("Zero-shot: " + data.describe(), r, report);
        return 0;
    }

    /** A built-in class or template set by name, else the lines of a file. */
    private List<String> lines(String value, boolean classList) {
        if (classList && PromptSet.builtinNames().contains(value)) return PromptSet.builtin(value).classes();
        if (!classList && (value.equals("photo") || value.equals("imagenet1k-7") || PromptSet.builtinNames().contains(value))) {
            return PromptSet.builtinTemplates(value);
        }
        Path f = Path.of(value);
        if (!Files.isRegularFile(f)) {
            throw new CommandLine.ParameterException(spec.commandLine(), (classList ? "--classes" : "--templates") + " " + value
                    + ": neither a built-in set " + (classList ? PromptSet.builtinNames()
                    : "[imagenet1k, imagenet1k-7, cifar10, cifar100, fashion-mnist, photo]") + " nor a file");
        }
        List<String> l = PromptSet.readLines(f);
        if (!classList) {
            for (String t : l) if (!t.contains("{}")) throw new ClipException(f + ": template '" + t + "' has no {} placeholder");
        }
        return l;
    }
}
