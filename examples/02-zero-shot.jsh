// clip4j notebook 2 of 6: zero-shot classification of images with the model of notebook 1.
//
//   jshell --class-path "$(cat examples/classpath.txt)" examples/02-zero-shot.jsh
// Reads notebooks-out/tiny.safetensors (CLIP4J_NOTEBOOKS_OUT / clip4j.notebooks.out to point elsewhere); writes
// the classified images to notebooks-out/zero-shot/*.png.

import java.nio.file.*;
import java.util.*;
import javax.imageio.ImageIO;
import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.tokenizer.ClipTokenizer;
import org.clip4j.encoders.ClipModel;
import org.clip4j.eval.PromptSet;
import org.clip4j.eval.ZeroShotClassifier;
import org.clip4j.train.data.SyntheticShapes;
import org.nd4j.linalg.api.ndarray.INDArray;

String setting(String property, String env, String fallback) {
    String v = System.getProperty(property);
    if (v == null || v.isBlank()) v = System.getenv(env);
    return v == null || v.isBlank() ? fallback : v.trim();
}

Path out = Path.of(setting("clip4j.notebooks.out", "CLIP4J_NOTEBOOKS_OUT", "notebooks-out"));
Path modelFile = out.resolve("tiny.safetensors");
if (!Files.isRegularFile(modelFile)) throw new IllegalStateException(modelFile + " not found: run 01-train-tiny.jsh first");
ClipModel model = ClipModel.load(modelFile);

// Some images the model has never seen: renderings with another seed than training's, the last two of
// colour-shape combinations held out of training altogether (compositional generalisation).
Path folder = Files.createDirectories(out.resolve("zero-shot"));
List<Path> files = new ArrayList<>();
List<String> truth = new ArrayList<>();
for (int i = 0; i < 8; i++) {
    SyntheticShapes.Sample s = (i < 6 ? SyntheticShapes.training(2024, 32) : SyntheticShapes.heldOutSplit(2024, 32)).sample(i);
    Path f = folder.resolve(String.format("image-%02d.png", i));
    ImageIO.write(s.image(), "png", f.toFile());
    files.add(f);
    truth.add(s.label());
}

// One text embedding per label from the prompt "a photo of a {label}." (more templates would be averaged).
List<String> labels = SyntheticShapes.allLabels();
ZeroShotClassifier classifier = ZeroShotClassifier.build(model, ClipTokenizer.openai(),
        new PromptSet("shapes", labels, List.of("a photo of a {}.")), 64);

// The images as the model expects them (CLIP's resize, centre crop and normalisation at 32 px), then
// logits = 100 · cosine(image, label) and their softmax over the 24 labels.
ImagePreprocessor pre = ImagePreprocessor.clip(32);
INDArray pixels = pre.batch(files);                  // [8, 3, 32, 32]
INDArray logits = classifier.logits(model, pixels);  // [8, 24]
double[][] probabilities = logits.toDoubleMatrix();
for (double[] row : probabilities) {
    double max = Arrays.stream(row).max().getAsDouble(), sum = 0;
    for (int k = 0; k < row.length; k++) sum += row[k] = Math.exp(row[k] - max);
    for (int k = 0; k < row.length; k++) row[k] /= sum;
}

// Top 3 labels per image.
int correct = 0;
for (int i = 0; i < files.size(); i++) {
    double[] p = probabilities[i];
    Integer[] order = new Integer[p.length];
    for (int k = 0; k < p.length; k++) order[k] = k;
    Arrays.sort(order, (a, b) -> Double.compare(p[b], p[a]));
    if (labels.get(order[0]).equals(truth.get(i))) correct++;
    System.out.printf(Locale.ROOT, "%s (%s%s): %s %.3f, %s %.3f, %s %.3f%n", files.get(i).getFileName(), truth.get(i),
            SyntheticShapes.DEFAULT_HELD_OUT.contains(truth.get(i)) ? ", held out of training" : "",
            labels.get(order[0]), p[order[0]], labels.get(order[1]), p[order[1]], labels.get(order[2]), p[order[2]]);
}
System.out.printf("top-1 correct: %d of %d%n", correct, files.size());

pixels.close();
logits.close();
classifier.close();
model.close();
/exit
