package org.clip4j.cli;

import org.clip4j.core.ClipException;
import org.clip4j.eval.EvalCache;
import org.clip4j.eval.ImageFeatureExtractor;
import org.clip4j.eval.data.ClassificationDataset;
import org.clip4j.eval.data.DatasetSpec;
import org.clip4j.eval.probe.FeatureSet;
import org.clip4j.eval.probe.LinearProbe;
import org.clip4j.eval.probe.RegularizationSweep;
import org.clip4j.encoders.ClipModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code clip eval linear-probe}: the CLIP paper's linear probe ({@link LinearProbe}) on image features of a
 * model and dataset, or on precomputed feature files.
 */
@Command(name = "linear-probe", mixinStandardHelpOptions = true,
        description = {"Linear probe: multinomial logistic regression (L2 on the weights, not the",
                "intercepts; L-BFGS, at most 1,000 iterations) on image features. C is chosen",
                "on the validation set (10^-6..10^6, refined to 1/8 decade), the model refitted",
                "on train + validation and scored on test. With --C no search is run.",
                "Either --model and --dataset, or --train-features and --test-features",
                "(safetensors with features F32 [n,d] and labels I64 [n]).",
                "train_objective = (1/n) sum CE + |W|^2/(2 C n) over the rows fitted."})
final class EvalLinearProbeCommand implements Callable<Integer> {
    @Option(names = "--train-features", paramLabel = "A.safetensors", description = "Training features and labels.")
    Path trainFeatures;

    @Option(names = "--val-features", paramLabel = "V.safetensors",
            description = "Validation features for the C search (default: a stratified fifth of training).")
    Path valFeatures;

    @Option(names = "--test-features", paramLabel = "B.safetensors", description = "Test features and labels.")
    Path testFeatures;

    @Option(names = "--model", paramLabel = "PATH", description = "A model whose image tower gives the features.")
    Path model;

    @Mixin
    ModelConfigOption modelConfig = new ModelConfigOption();

    @Option(names = "--dataset", paramLabel = "SPEC",
            description = {"Training images; for fashion-mnist, mnist and cifar without a split, its",
                    "train split (and its test split is the test set)."})
    String dataset;

    @Option(names = "--val-dataset", paramLabel = "SPEC", description = "Validation images (default: a stratified fifth of training).")
    String valDataset;

    @Option(names = "--test-dataset", paramLabel = "SPEC", description = "Test images (required for datasets without splits).")
    String testDataset;

    @Option(names = "--layer", paramLabel = "L", defaultValue = "projected",
            description = "projected (the CLIP embedding) or pre-projection (default: ${DEFAULT-VALUE}).")
    String layer;

    @Option(names = "--C", paramLabel = "X", description = "Inverse regularisation strength; no search.")
    Double c;

    @Option(names = "--max-iter", paramLabel = "N", defaultValue = "1000", description = "L-BFGS iterations at most (default: ${DEFAULT-VALUE}).")
    int maxIter;

    @Mixin
    EvalBatch batch = new EvalBatch();

    @Option(names = "--limit", paramLabel = "N", defaultValue = "0", description = "Use N images of each dataset, spread evenly (0: all).")
    int limit;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = "Cache image features here (keyed by model file, dataset, layer, limit).")
    Path cacheDir;

    @Mixin
    EvalOutput out = new EvalOutput();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        boolean files = trainFeatures != null || testFeatures != null || valFeatures != null;
        boolean images = model != null || dataset != null;
        if (files == images) {
            throw usage("give either --train-features and --test-features, or --model and --dataset");
        }
        if (c != null && !(c > 0 && Double.isFinite(c))) throw usage("--C " + c + ": expected a finite C > 0");
        if (maxIter < 1) throw usage("--max-iter " + maxIter + ": expected at least 1");
        int batchSize = batch.size();
        if (limit < 0) throw usage("--limit " + limit + ": expected 0 (all) or more");
        out.check(OutputGuard.input("--model", model));
        FeatureSet train, val = null, test;
        List<String> classes = null;
        String source;
        if (files) {
            if (trainFeatures == null || testFeatures == null) throw usage("--train-features and --test-features are both required");
            train = FeatureSet.load(trainFeatures);
            test = FeatureSet.load(testFeatures);
            if (valFeatures != null) val = FeatureSet.load(valFeatures);
            source = trainFeatures.toString();
        } else {
            if (model == null || dataset == null) throw usage("--model and --dataset are both required");
            ImageFeatureExtractor.Layer l = switch (layer) {
                case "projected" -> ImageFeatureExtractor.Layer.PROJECTED;
                case "pre-projection" -> ImageFeatureExtractor.Layer.PRE_PROJECTION;
                default -> throw usage("--layer " + layer + ": expected projected or pre-projection");
            };
            DatasetSpec tr = DatasetSpec.parse(dataset);
            DatasetSpec te;
            if (testDataset != null) te = DatasetSpec.parse(testDataset);
            else if (tr.hasSplits() && "test".equals(tr.split())) {
                throw usage("--dataset " + dataset + " is the test split: train on " + tr.kind() + ":train or pass --test-dataset SPEC");
            } else if (tr.hasSplits()) te = tr.withSplit("test");
            else throw usage("--dataset " + dataset + " has no test split: pass --test-dataset SPEC");
            if (tr.hasSplits() && tr.split() == null) tr = tr.withSplit("train");
            try (ClipModel m = modelConfig.load(model)) {
                ImageFeatureExtractor x = new ImageFeatureExtractor(m, batchSize);
                ClassificationDataset trainSet = tr.open("train");
                classes = trainSet.classes();
                train = features(x, trainSet, tr, l, "train");
                test = features(x, check(te.open("test"), classes, "--test-dataset"), te, l, "test");
                if (valDataset != null) {
                    DatasetSpec va = DatasetSpec.parse(valDataset);
                    val = features(x, check(va.open("test"), classes, "--val-dataset"), va, l, "validation");
                }
            }
            source = dataset;
        }
        LinearProbe.Result r = new LinearProbe(new RegularizationSweep(), maxIter)
                .run(train, val, test, c, classes, line -> System.err.println("linear probe: " + line));

        Map<String, Object> res = new LinkedHashMap<>();
        res.put("task", "linear-probe");
        res.put("source", source);
        res.put("C", r.c());
        res.put("train_objective", r.trainObjective());
        res.put("train_accuracy", r.trainAccuracy());
        res.put("test_accuracy", r.test().top1());
        res.put("test_top5", r.test().top5());
        res.put("test_mean_per_class_accuracy", r.test().meanPerClass());
        res.put("fit_rows", r.fitRows());
        res.put("test_rows", test.n());
        res.put("dim", train.d());
        res.put("classes", r.test().classes().size());
        res.put("iterations", r.model().iterations());
        res.put("converged", r.model().converged());
        res.put("lbfgs_status", r.model().status());
        res.put("searched", r.sweep() != null);
        if (r.sweep() != null) {
            List<Map<String, Object>> pts = new ArrayList<>();
            for (RegularizationSweep.Point p : r.sweep().evaluated()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("log10_C", p.log10C());
                e.put("C", p.c());
                e.put("val_accuracy", p.score());
                pts.add(e);
            }
            res.put("search", pts);
        }
        res.put("per_class_accuracy", EvalReport.classification(r.test()).get("per_class_accuracy"));
        System.out.println(EvalReport.json(res));
        out.write(String.format(Locale.ROOT, "Linear probe: %s (C = %.4g)", source, r.c()), res, r.test());
        return 0;
    }

    private FeatureSet features(ImageFeatureExtractor x, ClassificationDataset ds, DatasetSpec s, ImageFeatureExtractor.Layer l, String what) {
        int[] idx = ImageFeatureExtractor.spread(ds.size(), limit);
        java.util.function.Supplier<FeatureSet> compute = () -> x.extract(ds, idx, l, new EvalProgress(System.err, what + " features"));
        if (cacheDir == null) return compute.get();
        String key = "features|" + EvalCache.fileIdentity(model) + "|" + s + "|" + l + "|" + limit;
        return new EvalCache(cacheDir).features(key, compute);
    }

    private static ClassificationDataset check(ClassificationDataset ds, List<String> classes, String option) {
        if (!ds.classes().equals(classes)) {
            throw new ClipException(option + ": " + ds.describe() + " has classes " + abbreviate(ds.classes())
                    + ", the training set " + abbreviate(classes) + " (they must be the same, in the same order)");
        }
        return ds;
    }

    private static String abbreviate(List<String> l) {
        return l.size() <= 8 ? l.toString() : l.subList(0, 8) + " and " + (l.size() - 8) + " more";
    }

    private CommandLine.ParameterException usage(String msg) {
        return new CommandLine.ParameterException(spec.commandLine(), msg);
    }
}
