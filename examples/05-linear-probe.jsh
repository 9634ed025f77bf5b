// clip4j notebook 5 of 6: the CLIP paper's linear probe on Fashion-MNIST with the image features of the model
// of notebook 1 (logistic regression on frozen features, its regularisation C chosen on a held-out part).
//
// Needs Debian's Fashion-MNIST: apt-get install dataset-fashion-mnist (files in /usr/share/datasets/fashion-mnist).
//   jshell --class-path "$(cat examples/classpath.txt)" examples/05-linear-probe.jsh
// Settings: CLIP4J_PROBE_TRAIN / clip4j.probe.train (training images, default 10000 of 60,000),
//           CLIP4J_PROBE_TEST / clip4j.probe.test (test images, default 2000 of 10,000), CLIP4J_NOTEBOOKS_OUT.

import java.nio.file.*;
import java.util.*;
import org.clip4j.encoders.ClipModel;
import org.clip4j.eval.ImageFeatureExtractor;
import org.clip4j.eval.ProgressListener;
import org.clip4j.eval.data.ClassificationDataset;
import org.clip4j.eval.data.DatasetSpec;
import org.clip4j.eval.probe.FeatureSet;
import org.clip4j.eval.probe.LinearProbe;

String setting(String property, String env, String fallback) {
    String v = System.getProperty(property);
    if (v == null || v.isBlank()) v = System.getenv(env);
    return v == null || v.isBlank() ? fallback : v.trim();
}

Path out = Path.of(setting("clip4j.notebooks.out", "CLIP4J_NOTEBOOKS_OUT", "notebooks-out"));
int trainLimit = Integer.parseInt(setting("clip4j.probe.train", "CLIP4J_PROBE_TRAIN", "10000"));
int testLimit = Integer.parseInt(setting("clip4j.probe.test", "CLIP4J_PROBE_TEST", "2000"));
Path modelFile = out.resolve("tiny.safetensors");
if (!Files.isRegularFile(modelFile)) throw new IllegalStateException(modelFile + " not found: run 01-train-tiny.jsh first");
ClipModel model = ClipModel.load(modelFile);

ClassificationDataset trainSet = DatasetSpec.parse("fashion-mnist:train").open("train");
ClassificationDataset testSet = DatasetSpec.parse("fashion-mnist:test").open("test");
System.out.println(trainSet.describe() + "; " + testSet.describe() + "; classes " + trainSet.classes());

// Projected image embeddings (the CLIP embedding) of evenly spread subsets, 64 images per forward pass.
ImageFeatureExtractor extractor = new ImageFeatureExtractor(model, 64);
FeatureSet train = extractor.extract(trainSet, ImageFeatureExtractor.spread(trainSet.size(), trainLimit),
        ImageFeatureExtractor.Layer.PROJECTED, ProgressListener.NONE);
FeatureSet test = extractor.extract(testSet, ImageFeatureExtractor.spread(testSet.size(), testLimit),
        ImageFeatureExtractor.Layer.PROJECTED, ProgressListener.NONE);
System.out.printf("features: %d training and %d test images, %d dimensions%n", train.n(), test.n(), train.d());

// No validation set given: a stratified fifth of the training features chooses C; one line per C tried.
LinearProbe.Result probe = new LinearProbe().run(train, null, test, null, trainSet.classes(), System.out::println);
double accuracy = probe.test().top1();
System.out.printf(Locale.ROOT, "linear-probe accuracy on %d Fashion-MNIST test images: %.2f %% (C = %.4g; chance 10 %%)%n",
        test.n(), 100 * accuracy, probe.c());
for (int k = 0; k < trainSet.classes().size(); k++) {
    System.out.printf(Locale.ROOT, "  %-12s %5.1f %%%n", trainSet.classes().get(k), 100 * probe.test().perClassAccuracy()[k]);
}
model.close();
/exit
