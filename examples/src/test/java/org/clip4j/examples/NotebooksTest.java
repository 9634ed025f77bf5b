package org.clip4j.examples;

import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.tokenizer.ClipTokenizer;
import org.clip4j.encoders.ClipModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs every JShell notebook of {@code examples/} in order, in this JVM (see {@link NotebookRunner}), with small
 * step and sample counts, into a temporary output folder; each test checks what its notebook must produce. Later
 * notebooks read the model of the first, so the tests run in order on one folder.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NotebooksTest {
    /** The notebooks, in the order they are meant to run. */
    static final List<String> NOTEBOOKS = List.of("01-train-tiny.jsh", "02-zero-shot.jsh", "03-search.jsh",
            "04-fine-tune.jsh", "05-linear-probe.jsh", "06-plot.jsh");
    static final int STEPS = 60, FINETUNE_STEPS = 4, PROBE_TRAIN = 1000, PROBE_TEST = 400;

    private final Path dir = Path.of(System.getProperty("clip4j.notebooks.dir", "."));
    private final Map<String, String> savedProperties = new HashMap<>();
    @TempDir
    static Path out;

    @BeforeAll
    void settings() {
        set("clip4j.notebooks.out", out.toString());
        set("clip4j.steps", Integer.toString(STEPS));
        set("clip4j.finetune.steps", Integer.toString(FINETUNE_STEPS));
        set("clip4j.probe.train", Integer.toString(PROBE_TRAIN));
        set("clip4j.probe.test", Integer.toString(PROBE_TEST));
        set("clip4j.query", null);
    }

    private void set(String key, String value) {
        savedProperties.put(key, System.getProperty(key));
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }

    @AfterAll
    void restore() {
        savedProperties.forEach((k, v) -> {
            if (v == null) System.clearProperty(k);
            else System.setProperty(k, v);
        });
    }

    @Test
    @Order(0)
    void everyNotebookIsRunHere() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<String> found = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jsh")).sorted().toList();
            assertEquals(NOTEBOOKS, found, "notebooks in " + dir.toAbsolutePath());
        }
    }

    @Test
    @Order(0)
    void classpathFileListsWhatTheNotebooksNeed() throws IOException {
        Path file = dir.resolve("classpath.txt");
        assertTrue(Files.isRegularFile(file), file + " is written by the build (maven-dependency-plugin, process-resources)");
        List<String> entries = List.of(Files.readString(file).strip().split(File.pathSeparator));
        for (String e : entries) assertTrue(Files.exists(Path.of(e)), "class path entry " + e + " does not exist");
        for (String needed : new String[]{"clip-core", "clip-encoders", "clip-train", "clip-eval", "slf4j-simple-",
                "nd4j-native-1.0.0-M2.1.jar", "nd4j-native-1.0.0-M2.1-linux-x86_64.jar", "openblas-0.3.19-1.5.7-linux-x86_64.jar",
                "jfreechart-"}) {
            assertTrue(entries.stream().anyMatch(e -> e.contains(needed)), "no " + needed + " in " + file);
        }
        assertTrue(entries.stream().noneMatch(e -> e.contains("junit")), "test dependencies in " + file);
    }

    @Test
    @Order(1)
    void trainTiny() throws IOException {
        NotebookRunner.Result r = NotebookRunner.run(dir.resolve("01-train-tiny.jsh"));
        assertTrue(Files.isRegularFile(out.resolve("tiny.safetensors")));
        assertTrue(Files.isDirectory(out.resolve("tiny").resolve(String.format("step-%08d", STEPS))));
        List<String> metrics = Files.readAllLines(out.resolve("tiny").resolve("metrics.jsonl"));
        assertEquals(STEPS, metrics.stream().filter(l -> l.contains("\"loss\"")).count());
        assertTrue(r.output().contains(String.format("step %5d/%d", STEPS, STEPS)), r.output());
        // Even this short run learns: the loss falls below chance (ln 64 for a batch of 64).
        double finalLoss = r.doubleVariable("finalLoss");
        assertTrue(finalLoss < Math.log(64) - 0.2, "final loss " + finalLoss);
    }

    @Test
    @Order(2)
    void zeroShot() throws IOException {
        NotebookRunner.Result r = NotebookRunner.run(dir.resolve("02-zero-shot.jsh"));
        // image-03.png (green star): red star 0.412, blue star 0.201, green star 0.100
        Matcher m = Pattern.compile("(image-0\\d\\.png) \\([a-z ,]+\\): ([a-z]+ [a-z]+) ([0-9.]+), ([a-z]+ [a-z]+) ([0-9.]+), ([a-z]+ [a-z]+) ([0-9.]+)")
                .matcher(r.output());
        int lines = 0;
        while (m.find()) {
            lines++;
            assertTrue(Files.isRegularFile(out.resolve("zero-shot").resolve(m.group(1))), m.group(1));
            double p1 = Double.parseDouble(m.group(3)), p2 = Double.parseDouble(m.group(5)), p3 = Double.parseDouble(m.group(7));
            assertTrue(p1 >= p2 && p2 >= p3 && p3 >= 0 && p1 + p2 + p3 <= 1.0015, m.group());
        }
        assertEquals(8, lines, r.output());
        assertTrue(r.output().contains(" of 8\n") && r.output().contains("top-1 correct: "), r.output());
    }

    @Test
    @Order(3)
    void search() throws IOException {
        NotebookRunner.Result r = NotebookRunner.run(dir.resolve("03-search.jsh"));
        Path gallery = out.resolve("gallery");
        try (Stream<Path> files = Files.list(gallery)) {
            assertEquals(50, files.filter(p -> p.toString().endsWith(".png")).count());
        }
        Matcher m = Pattern.compile("(\\d)\\. (shape-\\d\\d\\.png)  cosine (-?[0-9.]+)").matcher(r.output());
        List<String> names = new ArrayList<>();
        List<Double> cosines = new ArrayList<>();
        while (m.find()) {
            assertEquals(names.size() + 1, Integer.parseInt(m.group(1)));
            names.add(m.group(2));
            cosines.add(Double.parseDouble(m.group(3)));
        }
        assertEquals(5, names.size(), r.output());
        for (int i = 1; i < 5; i++) assertTrue(cosines.get(i - 1) >= cosines.get(i), cosines.toString());
        // The best match's cosine, computed here independently of the notebook.
        try (ClipModel model = ClipModel.load(out.resolve("tiny.safetensors"));
             INDArray px = ImagePreprocessor.clip(32).batch(List.of(gallery.resolve(names.get(0))));
             INDArray ids = ClipTokenizer.openai().tokenizeToArray(List.of("a large blue star"), model.config().text().contextLength(), true);
             INDArray image = model.encodeImageNormalized(px);
             INDArray text = model.encodeTextNormalized(ids)) {
            double cosine = image.mul(text).sumNumber().doubleValue();
            assertEquals(cosine, cosines.get(0), 1e-4);
        }
    }

    @Test
    @Order(4)
    void fineTune() throws IOException {
        NotebookRunner.Result r = NotebookRunner.run(dir.resolve("04-fine-tune.jsh"));
        assertEquals(257, Files.readAllLines(out.resolve("finetune").resolve("train.csv")).size());
        assertTrue(Files.isRegularFile(out.resolve("lit.safetensors")));
        // The trainer's log of the split (slf4j-simple on stderr) ...
        assertTrue(r.output().contains("parameter tensors frozen"), r.output());
        // ... and the weights: the image tower did not move, the text tower did.
        assertEquals(0.0, r.doubleVariable("imageChange"));
        assertTrue(r.doubleVariable("textChange") > 0, r.variable("textChange"));
        assertTrue(Integer.parseInt(r.variable("imageTensors")) > 0 && Integer.parseInt(r.variable("textTensors")) > 0);
        assertTrue(r.output().contains("after " + FINETUNE_STEPS + " LiT steps"), r.output());
    }

    @Test
    @Order(5)
    void linearProbe() throws IOException {
        NotebookRunner.Result r = NotebookRunner.run(dir.resolve("05-linear-probe.jsh"));
        assertTrue(r.output().contains("linear-probe accuracy on " + PROBE_TEST + " Fashion-MNIST test images: "), r.output());
        assertTrue(r.output().contains("features: " + PROBE_TRAIN + " training and " + PROBE_TEST + " test images"), r.output());
        // Far above chance (10 %) even with features of a briefly trained model.
        double accuracy = r.doubleVariable("accuracy");
        assertTrue(accuracy > 0.5 && accuracy <= 1, "accuracy " + accuracy);
    }

    @Test
    @Order(6)
    void plot() throws IOException {
        NotebookRunner.Result r = NotebookRunner.run(dir.resolve("06-plot.jsh"));
        BufferedImage png = ImageIO.read(out.resolve("loss.png").toFile());
        assertEquals(900, png.getWidth());
        assertEquals(500, png.getHeight());
        assertEquals(STEPS, Integer.parseInt(r.variable("points")));
    }
}
