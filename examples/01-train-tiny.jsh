// clip4j notebook 1 of 6: train the built-in clip4j-tiny CLIP from scratch on the embedded synthetic shapes.
//
// From the repository root, after `mvn -q -B -DskipTests install` (which writes examples/classpath.txt):
//   jshell --class-path "$(cat examples/classpath.txt)" examples/01-train-tiny.jsh
// Settings (environment variable, or system property passed to jshell as -R-Dname=value):
//   CLIP4J_STEPS          clip4j.steps          optimiser steps (default 1500: the `clip demo` recipe, about 3 min
//                                                on 2 cores; 200 gives a rough model in 25 s)
//   CLIP4J_NOTEBOOKS_OUT  clip4j.notebooks.out  output folder (default notebooks-out)
// Writes: notebooks-out/tiny/ (checkpoint, metrics.jsonl) and notebooks-out/tiny.safetensors (the final model),
// which the next notebooks read.

import java.nio.file.*;
import java.util.*;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.train.StepMetrics;
import org.clip4j.train.Trainer;
import org.clip4j.train.TrainingListener;
import org.clip4j.train.data.SyntheticShapes;
import org.clip4j.train.data.SyntheticSource;
import org.clip4j.train.optim.AdamWConfig;
import org.clip4j.train.optim.LrSchedule;

// A setting: system property, else environment variable, else the default.
String setting(String property, String env, String fallback) {
    String v = System.getProperty(property);
    if (v == null || v.isBlank()) v = System.getenv(env);
    return v == null || v.isBlank() ? fallback : v.trim();
}

Path out = Path.of(setting("clip4j.notebooks.out", "CLIP4J_NOTEBOOKS_OUT", "notebooks-out"));
long steps = Long.parseLong(setting("clip4j.steps", "CLIP4J_STEPS", "1500"));
Files.createDirectories(out);

// The data: coloured shapes rendered on the fly with captions such as "a large red circle at the top left.".
// Sample i is a pure function of (seed, i); four colour-shape combinations are never drawn (held out).
SyntheticShapes shapes = SyntheticShapes.training(0, 32);
System.out.println("caption of sample 0: " + shapes.sample(0).caption());
System.out.println("held out of training: " + shapes.heldOut());

// Print the loss every 100 steps (and at the last one).
TrainingListener progress = new TrainingListener() {
    @Override
    public void onStep(StepMetrics m) {
        if (m.step() % 100 == 0 || m.step() == m.totalSteps()) {
            System.out.printf(Locale.ROOT, "step %5d/%d  loss %.4f  lr %.2e  logit scale %5.1f  %.0f samples/s%n",
                    m.step(), m.totalSteps(), m.loss(), m.lr(), m.logitScale(), m.samplesPerSecond());
        }
    }
};

// The `clip demo` recipe: batch 64, AdamW lr 2e-3 with 100 warm-up steps then cosine, no augmentation (every
// sample is already a fresh rendering). The parentheses let jshell read the chain over several lines.
Trainer trainer = (Trainer.builder()
        .model(ClipConfig.builtin("clip4j-tiny"))
        .data(new SyntheticSource(shapes, 50_000))
        .batchSize(64)
        .optimizer(AdamWConfig.of(2e-3, 0.2))  // betas and eps: the CLIP paper's for a ViT
        .schedule(LrSchedule.cosine(100))
        .augment(false)
        .steps(steps)
        .seed(0)
        .checkpointDir(out.resolve("tiny"))
        .checkpointEvery((int) Math.max(1, steps / 4))
        .keepLast(1)
        .listener(progress)
        .build());

System.out.printf("training clip4j-tiny for %d steps; checkpoints and metrics.jsonl in %s%n", steps, out.resolve("tiny"));
Trainer.TrainResult result = trainer.run();

Path modelFile = out.resolve("tiny.safetensors");
result.model().save(modelFile);
double finalLoss = result.state().lastLoss();
System.out.printf(Locale.ROOT, "final loss %.4f after %d steps (chance level ln 64 = %.4f); model saved to %s%n",
        finalLoss, result.state().step(), Math.log(64), modelFile);
// The model file says how it was made (ClipModel.load reads it back): seed, data, optimiser, schedule, versions.
System.out.println("provenance: " + result.model().provenance().orElseThrow());
result.model().close();
/exit
