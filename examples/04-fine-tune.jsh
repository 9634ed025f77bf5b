// clip4j notebook 4 of 6: LiT fine-tuning ("locked image, tuned text") of the model of notebook 1 on your own
// image-caption pairs, given as a CSV manifest.
//
//   jshell --class-path "$(cat examples/classpath.txt)" examples/04-fine-tune.jsh
// Settings: CLIP4J_FINETUNE_STEPS / clip4j.finetune.steps (default 50), CLIP4J_NOTEBOOKS_OUT / clip4j.notebooks.out.
// Writes notebooks-out/finetune/ (images, train.csv), notebooks-out/lit/ (checkpoint, metrics.jsonl) and
// notebooks-out/lit.safetensors.

import java.nio.file.*;
import java.util.*;
import javax.imageio.ImageIO;
import org.clip4j.core.nn.Parameter;
import org.clip4j.encoders.ClipModel;
import org.clip4j.train.Trainer;
import org.clip4j.train.optim.AdamWConfig;
import org.clip4j.train.optim.LrSchedule;
import org.clip4j.train.data.CsvManifest;
import org.clip4j.train.data.SyntheticShapes;
import org.nd4j.linalg.api.ndarray.INDArray;

String setting(String property, String env, String fallback) {
    String v = System.getProperty(property);
    if (v == null || v.isBlank()) v = System.getenv(env);
    return v == null || v.isBlank() ? fallback : v.trim();
}

Path out = Path.of(setting("clip4j.notebooks.out", "CLIP4J_NOTEBOOKS_OUT", "notebooks-out"));
long steps = Long.parseLong(setting("clip4j.finetune.steps", "CLIP4J_FINETUNE_STEPS", "50"));
Path modelFile = out.resolve("tiny.safetensors");
if (!Files.isRegularFile(modelFile)) throw new IllegalStateException(modelFile + " not found: run 01-train-tiny.jsh first");

// Our "own" data: 256 image files and a manifest with a header row and the columns filepath,title (OpenCLIP's
// CSV layout); paths are relative to the manifest's folder. Captions hold commas, so the fields are quoted.
String csvField(String s) {
    return "\"" + s.replace("\"", "\"\"") + "\"";
}
Path data = Files.createDirectories(out.resolve("finetune").resolve("images"));
SyntheticShapes shapes = SyntheticShapes.training(99, 32);
List<String> rows = new ArrayList<>(List.of("filepath,title"));
for (int i = 0; i < 256; i++) {
    SyntheticShapes.Sample s = shapes.sample(i);
    String name = String.format("pair-%03d.png", i);
    ImageIO.write(s.image(), "png", data.resolve(name).toFile());
    rows.add(csvField("images/" + name) + "," + csvField(s.caption()));
}
Path manifest = out.resolve("finetune").resolve("train.csv");
Files.write(manifest, rows);
CsvManifest pairs = CsvManifest.read(manifest);
System.out.printf("%s: %d pairs, e.g. %s -> \"%s\"%n", manifest, pairs.size(), pairs.imagePath(0).getFileName(), pairs.caption(0));

// LiT: start from the checkpoint, lock the image tower (no updates), train the text tower and the temperature.
// The trainer logs the split ("locked: N of M parameter tensors frozen ... trained: [...]") on stderr.
Trainer.TrainResult result = (Trainer.builder()
        .init(modelFile)
        .lockImage(true)
        .data(pairs)
        .batchSize(32)
        .optimizer(AdamWConfig.of(1e-4, 0.2))
        .schedule(LrSchedule.cosine(Math.min(10, steps / 2)))
        .augment(false)
        .steps(steps)
        .seed(1)
        .checkpointDir(out.resolve("lit"))
        .keepLast(1)
        .build()
        .run());
result.model().save(out.resolve("lit.safetensors"));

// Check the split on the weights themselves: largest change of any image-tower and any text-tower value.
double imageChange = 0, textChange = 0;
int imageTensors = 0, textTensors = 0;
try (ClipModel before = ClipModel.load(modelFile)) {
    Map<String, Parameter> old = new HashMap<>();
    for (Parameter p : before.parameters()) old.put(p.name(), p);
    for (Parameter p : result.model().parameters()) {
        if (!p.isTrainable() || p.name().equals("logit_scale")) continue;
        double change;
        try (INDArray d = p.value().sub(old.get(p.name()).value())) { // a new array: released at once
            change = d.amaxNumber().doubleValue();
        }
        if (p.name().startsWith("visual.")) {
            imageTensors++;
            imageChange = Math.max(imageChange, change);
        } else {
            textTensors++;
            textChange = Math.max(textChange, change);
        }
    }
}
System.out.printf(Locale.ROOT, "after %d LiT steps: image tower (%d tensors) largest change %.3g; text tower (%d tensors) %.3g%n",
        result.state().step(), imageTensors, imageChange, textTensors, textChange);
result.model().close();
/exit
