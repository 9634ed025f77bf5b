package org.clip4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.eval.RetrievalMetrics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** {@code clip eval}: linear probe on stored features against scikit-learn; zero-shot and retrieval against {@code clip embed}. */
class EvalCommandTest {
    static final Path PROBE = Path.of(System.getProperty("clip4j.testdata"), "linear-probe");
    static final Path REF = EmbedCommandTest.REF;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    static JsonNode onlyJson(CliRun r) throws IOException {
        assertEquals(0, r.exit, r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(1, lines.size(), "one JSON object on standard output: " + r.out());
        return JSON.readTree(lines.get(0));
    }

    @Test
    void linearProbeOnFeatureFilesWithAFixedC() throws IOException {
        JsonNode ref = JSON.readTree(PROBE.resolve("sklearn.json").toFile()).get("fits").get(2); // C = 0.316
        JsonNode j = onlyJson(CliRun.of("eval", "linear-probe", "--train-features", PROBE.resolve("train.safetensors").toString(),
                "--test-features", PROBE.resolve("test.safetensors").toString(), "--C", "0.316"));
        assertEquals(0.316, j.get("C").asDouble(), 0);
        double want = ref.get("train_objective").asDouble();
        assertEquals(want, j.get("train_objective").asDouble(), 1e-4 * want);
        assertEquals(ref.get("test_accuracy").asDouble(), j.get("test_accuracy").asDouble(), 1e-12);
        assertEquals(ref.get("train_accuracy").asDouble(), j.get("train_accuracy").asDouble(), 1e-12);
        assertFalse(j.get("searched").asBoolean());
        assertEquals(200, j.get("fit_rows").asInt());
        assertTrue(j.get("converged").asBoolean());
    }

    @Test
    void linearProbeSearchesCOnTheValidationFeatures() throws IOException {
        JsonNode ref = JSON.readTree(PROBE.resolve("sklearn.json").toFile()).get("sweep");
        Path out = tmp.resolve("report");
        JsonNode j = onlyJson(CliRun.of("eval", "linear-probe", "--train-features", PROBE.resolve("train.safetensors").toString(),
                "--val-features", PROBE.resolve("val.safetensors").toString(),
                "--test-features", PROBE.resolve("test.safetensors").toString(), "--out", out.toString()));
        assertEquals(ref.get("C").asDouble(), j.get("C").asDouble(), 1e-12 * ref.get("C").asDouble());
        assertEquals(ref.get("test_accuracy").asDouble(), j.get("test_accuracy").asDouble(), 1e-12);
        assertEquals(ref.get("train_objective").asDouble(), j.get("train_objective").asDouble(), 1e-4 * ref.get("train_objective").asDouble());
        assertEquals(ref.get("evaluated").size(), j.get("search").size());
        assertEquals(400, j.get("fit_rows").asInt());
        assertEquals(j, JSON.readTree(out.resolve("results.json").toFile()));
        String md = Files.readString(out.resolve("results.md"));
        assertTrue(md.contains(String.format(java.util.Locale.ROOT, "| test_accuracy | %.4f |", ref.get("test_accuracy").asDouble())), md);
        BufferedImage conf = ImageIO.read(out.resolve("confusion.png").toFile());
        assertEquals(EvalCharts.MARGIN + 4 * 22 + 20, conf.getWidth());
        assertNotNull(ImageIO.read(out.resolve("per_class.png").toFile()));
    }

    @Test
    void linearProbeInputErrors() throws IOException {
        CliRun none = CliRun.of("eval", "linear-probe", "--C", "1");
        assertEquals(2, none.exit);
        assertTrue(none.err().contains("give either --train-features"), none.err());
        Path bad = tmp.resolve("bad.safetensors");
        new org.clip4j.core.safetensors.SafetensorsWriter().putFloats("features", new long[]{2, 1}, new float[]{1, 2}).write(bad);
        CliRun r = CliRun.of("eval", "linear-probe", "--train-features", bad.toString(), "--test-features", bad.toString());
        assertEquals(1, r.exit);
        assertTrue(r.err().startsWith("clip: error: " + bad + ": no tensor 'labels'"), r.err());
        CliRun sameSplit = CliRun.of("eval", "linear-probe", "--model", "m.safetensors", "--dataset", "fashion-mnist:test");
        assertEquals(2, sameSplit.exit);
        assertTrue(sameSplit.err().contains("is the test split"), sameSplit.err());
        CliRun badC = CliRun.of("eval", "linear-probe", "--train-features", bad.toString(), "--test-features", bad.toString(), "--C", "-1");
        assertEquals(2, badC.exit);
    }

    /** Two classes, two templates from a file: predictions equal argmax of cos(image, mean of normalised prompt embeddings). */
    @Test
    void zeroshotOnAnImageFolderMatchesEmbedOutputs() throws IOException {
        Path wide = WideVocab.write(EmbedCommandTest.VIT, tmp.resolve("wide.safetensors"));
        String[][] layout = {{"cat", "p0_rgb_37x53.png"}, {"cat", "p1_rgb_300x200.png"}, {"dog", "p2_gray_61x97.png"},
                {"dog", "p3_rgba_45x32.png"}, {"dog", "p4_palette_50x70.png"}};
        List<String> images = new ArrayList<>();
        for (String[] e : layout) {
            Path dst = tmp.resolve("folder").resolve(e[0]).resolve(e[1]);
            Files.createDirectories(dst.getParent());
            Files.copy(REF.resolve(e[1]), dst);
            images.add(dst.toString());
        }
        Path templates = Files.write(tmp.resolve("templates.txt"), List.of("a photo of a {}.", "a drawing of the {}."));
        Path out = tmp.resolve("zs");
        JsonNode j = onlyJson(CliRun.of("eval", "zeroshot", "--model", wide.toString(), "--dataset", "imagefolder:" + tmp.resolve("folder"),
                "--templates", templates.toString(), "--batch", "2", "--cache-dir", tmp.resolve("cache").toString(), "--out", out.toString()));
        assertEquals(2, j.get("classes").asInt());
        assertEquals(2, j.get("templates").asInt());
        assertEquals(5, j.get("images").asInt());

        // Independent: clip embed of the four prompts and the five images.
        List<String> prompts = List.of("a photo of a cat.", "a drawing of the cat.", "a photo of a dog.", "a drawing of the dog.");
        Path promptFile = Files.write(tmp.resolve("prompts.txt"), prompts);
        List<String> args = new ArrayList<>(List.of("embed", "--model", wide.toString(), "--texts-file", promptFile.toString(),
                "--out", tmp.resolve("e.safetensors").toString(), "--images"));
        args.addAll(images);
        assertEquals(0, CliRun.of(args.toArray(String[]::new)).exit);
        int right = 0;
        int[] perClass = new int[2];
        try (SafetensorsFile e = SafetensorsFile.open(tmp.resolve("e.safetensors"))) {
            float[] img = e.floats("image_features"), txt = e.floats("text_features");
            double[][] w = new double[2][32];
            for (int c = 0; c < 2; c++) {
                for (int t = 0; t < 2; t++) {
                    double[] v = unit(txt, 2 * c + t);
                    for (int d = 0; d < 32; d++) w[c][d] += v[d] / 2;
                }
                w[c] = unit(w[c]);
            }
            for (int i = 0; i < 5; i++) {
                double[] x = unit(img, i);
                double s0 = dot(x, w[0]), s1 = dot(x, w[1]);
                int pred = s1 > s0 ? 1 : 0, label = i < 2 ? 0 : 1;
                if (pred == label) {
                    right++;
                    perClass[label]++;
                }
            }
        }
        assertEquals(right / 5.0, j.get("top1").asDouble(), 1e-12);
        assertEquals(1.0, j.get("top5").asDouble(), 0);
        assertEquals(perClass[0] / 2.0, j.get("per_class_accuracy").get("cat").asDouble(), 1e-12);
        assertEquals(perClass[1] / 3.0, j.get("per_class_accuracy").get("dog").asDouble(), 1e-12);
        assertTrue(Files.isRegularFile(out.resolve("confusion.png")) && Files.isRegularFile(out.resolve("per_class.png")));
        try (var cached = Files.list(tmp.resolve("cache"))) {
            assertEquals(1, cached.filter(p -> p.getFileName().toString().startsWith("zeroshot-")).count());
        }
        // Second run: same answer from the cached class embeddings.
        JsonNode again = onlyJson(CliRun.of("eval", "zeroshot", "--model", wide.toString(), "--dataset", "imagefolder:" + tmp.resolve("folder"),
                "--templates", templates.toString(), "--cache-dir", tmp.resolve("cache").toString()));
        assertEquals(j.get("per_class_accuracy"), again.get("per_class_accuracy"));
    }

    @Test
    void retrievalOnACaptionManifestMatchesEmbedOutputs() throws IOException {
        Path wide = WideVocab.write(EmbedCommandTest.VIT, tmp.resolve("wide.safetensors"));
        String csv = "path,caption\n"
                + REF.resolve("p0_rgb_37x53.png") + ",a red square\n"
                + REF.resolve("p1_rgb_300x200.png") + ",a wide photo\n"
                + REF.resolve("p0_rgb_37x53.png") + ",\"a small, red picture\"\n"
                + REF.resolve("p2_gray_61x97.png") + ",a gray image\n";
        Path m = Files.writeString(tmp.resolve("caps.csv"), csv);
        JsonNode j = onlyJson(CliRun.of("eval", "retrieval", "--model", wide.toString(), "--dataset", "csv:" + m, "--batch", "2"));
        assertEquals(3, j.get("images").asInt());
        assertEquals(4, j.get("captions").asInt());

        Path texts = Files.write(tmp.resolve("t.txt"), List.of("a red square", "a wide photo", "a small, red picture", "a gray image"));
        assertEquals(0, CliRun.of("embed", "--model", wide.toString(), "--texts-file", texts.toString(), "--out",
                tmp.resolve("r.safetensors").toString(), "--images", REF.resolve("p0_rgb_37x53.png").toString(),
                REF.resolve("p1_rgb_300x200.png").toString(), REF.resolve("p2_gray_61x97.png").toString()).exit);
        try (SafetensorsFile e = SafetensorsFile.open(tmp.resolve("r.safetensors"))) {
            Map<String, Double> want = RetrievalMetrics.compute(Nd4j.create(e.floats("image_features"), new long[]{3, 32}),
                    Nd4j.create(e.floats("text_features"), new long[]{4, 32}), new int[]{0, 1, 0, 2}, 1, 5, 10);
            for (Map.Entry<String, Double> w : want.entrySet()) {
                assertEquals(w.getValue(), j.get(w.getKey()).asDouble(), 1e-12, w.getKey());
            }
        }
    }

    /** Two files with the same picture give identical image features: --ties decides how the tie ranks. */
    @Test
    void retrievalTiesOption() throws IOException {
        Path wide = WideVocab.write(EmbedCommandTest.VIT, tmp.resolve("wide.safetensors"));
        Path copy = Files.copy(REF.resolve("p0_rgb_37x53.png"), tmp.resolve("copy_of_p0.png"));
        String csv = "path,caption\n"
                + REF.resolve("p0_rgb_37x53.png") + ",a red square\n"
                + copy + ",the same red square\n"
                + REF.resolve("p2_gray_61x97.png") + ",a gray image\n";
        Path m = Files.writeString(tmp.resolve("ties.csv"), csv);
        // --batch 1: each picture is encoded alone, so both copies go through the same computation, bit for bit
        JsonNode oc = onlyJson(CliRun.of("eval", "retrieval", "--model", wide.toString(), "--dataset", "csv:" + m,
                "--batch", "1"));
        JsonNode pes = onlyJson(CliRun.of("eval", "retrieval", "--model", wide.toString(), "--dataset", "csv:" + m,
                "--batch", "1", "--ties", "pessimistic"));
        assertEquals("open_clip", oc.get("ties").asText());
        assertEquals("pessimistic", pes.get("ties").asText());
        // text → image: texts 0 and 1 each tie their image with the other copy. Pessimistic: both rank 2 (if no
        // other image scores higher); in index order (3 < 17 elements: torch's insertion sort is stable) text 0
        // finds image 0 first (rank 1) and text 1 finds image 0 before its own image 1 (rank 2).
        double gap = pes.get("text_to_image_mean_rank").asDouble() - oc.get("text_to_image_mean_rank").asDouble();
        assertEquals(1 / 3.0, gap, 1e-12, "one tie fewer counted against text 0");
        CliRun bad = CliRun.of("eval", "retrieval", "--model", wide.toString(), "--dataset", "csv:" + m, "--ties", "random");
        assertNotEquals(0, bad.exit);
        assertTrue(bad.err().contains("--ties 'random': expected open_clip, stable or pessimistic"), bad.err());
    }

    private static double[] unit(float[] m, int row) {
        double[] v = new double[32];
        for (int d = 0; d < 32; d++) v[d] = m[row * 32 + d];
        return unit(v);
    }

    private static double[] unit(double[] v) {
        double n = Math.sqrt(dot(v, v));
        double[] o = new double[v.length];
        for (int i = 0; i < v.length; i++) o[i] = v[i] / n;
        return o;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
