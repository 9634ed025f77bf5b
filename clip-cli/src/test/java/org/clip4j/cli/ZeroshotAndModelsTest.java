package org.clip4j.cli;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.encoders.ClipModel;
import org.clip4j.encoders.Provenance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** {@code clip zeroshot} against an independent computation from {@code clip embed} outputs; {@code clip models}. */
class ZeroshotAndModelsTest {
    static final Path REF = EmbedCommandTest.REF;

    @TempDir
    Path tmp;

    @Test
    void zeroshotProbabilitiesEqualSoftmaxOfEmbedLogits() throws IOException {
        Path wide = WideVocab.write(EmbedCommandTest.VIT, tmp.resolve("wide.safetensors"));
        List<String> labels = List.of("cat", "dog", "red car", "diagram", "tree", "house");
        String template = "a photo of a {}.";
        List<String> images = new ArrayList<>();
        for (String p : List.of("p0_rgb_37x53.png", "p1_rgb_300x200.png", "p3_rgba_45x32.png")) images.add(REF.resolve(p).toString());

        List<String> args = new ArrayList<>(List.of("zeroshot", "--model", wide.toString(), "--labels",
                String.join(",", labels), "--template", template));
        args.addAll(images);
        CliRun z = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, z.exit, z.err());
        List<String> lines = z.out().lines().toList();
        assertEquals(images.size() * 6, lines.size(), z.out()); // path + top 5 of 6 labels

        // Independent: embed the captions and images, then softmax(exp(logit_scale) · cos) in double here.
        Path captions = Files.write(tmp.resolve("captions.txt"), labels.stream().map(l -> template.replace("{}", l)).toList());
        List<String> eargs = new ArrayList<>(List.of("embed", "--model", wide.toString(), "--texts-file",
                captions.toString(), "--out", tmp.resolve("e.safetensors").toString(), "--images"));
        eargs.addAll(images);
        assertEquals(0, CliRun.of(eargs.toArray(String[]::new)).exit);
        double scale;
        try (SafetensorsFile w = SafetensorsFile.open(wide)) {
            scale = Math.exp(w.floats("logit_scale")[0]);
        }
        try (SafetensorsFile e = SafetensorsFile.open(tmp.resolve("e.safetensors"))) {
            float[] img = e.floats("image_features"), txt = e.floats("text_features");
            int dim = 32;
            for (int i = 0; i < images.size(); i++) {
                double[] logits = new double[labels.size()];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < labels.size(); j++) {
                    logits[j] = scale * cosine(img, i, txt, j, dim);
                    max = Math.max(max, logits[j]);
                }
                double sum = 0;
                for (int j = 0; j < logits.length; j++) sum += logits[j] = Math.exp(logits[j] - max);
                Map<String, Double> want = new HashMap<>();
                for (int j = 0; j < labels.size(); j++) want.put(labels.get(j), logits[j] / sum);

                int base = i * 6;
                assertEquals(images.get(i), lines.get(base));
                double shown = 0, previous = 1;
                for (int k = 1; k <= 5; k++) {
                    String line = lines.get(base + k);
                    assertTrue(line.matches("  [01]\\.\\d{6}  .+"), line);
                    double p = Double.parseDouble(line.substring(2, 10));
                    String label = line.substring(12);
                    assertEquals(want.get(label), p, 1.5e-6, label + " of image " + i);
                    assertTrue(p <= previous, "sorted");
                    previous = p;
                    shown += p;
                }
                // The 5 shown plus the one left out (the least probable) sum to 1.
                double least = want.values().stream().mapToDouble(Double::doubleValue).min().orElseThrow();
                assertEquals(1.0, shown + least, 5e-6);
            }
        }
    }

    private static double cosine(float[] a, int i, float[] b, int j, int dim) {
        double dot = 0, na = 0, nb = 0;
        for (int d = 0; d < dim; d++) {
            double x = a[i * dim + d], y = b[j * dim + d];
            dot += x * y;
            na += x * x;
            nb += y * y;
        }
        return dot / Math.sqrt(na * nb);
    }

    @Test
    void smallVocabularyModelGivesANamedError() {
        CliRun z = CliRun.of("zeroshot", "--model", EmbedCommandTest.VIT.toString(), "--labels", "a,b,c",
                "--template", "{}", "--top", "3", REF.resolve("p2_gray_61x97.png").toString());
        // The 1000-id vit_tiny cannot take real BPE ids: a one-line error naming the id.
        assertEquals(1, z.exit);
        assertTrue(z.err().startsWith("clip: error: ") && z.err().contains("outside the model's vocabulary"), z.err());
    }

    @Test
    void zeroshotTopThreeOfThreeSumsToOne() throws IOException {
        Path wide = WideVocab.write(EmbedCommandTest.VIT, tmp.resolve("wide.safetensors"));
        CliRun z = CliRun.of("zeroshot", "--model", wide.toString(), "--labels", "cat, dog ,car", "--top", "3",
                REF.resolve("p2_gray_61x97.png").toString());
        assertEquals(0, z.exit, z.err());
        List<String> lines = z.out().lines().toList();
        assertEquals(4, lines.size());
        double sum = 0;
        List<String> seen = new ArrayList<>();
        for (String l : lines.subList(1, 4)) {
            sum += Double.parseDouble(l.substring(2, 10));
            seen.add(l.substring(12));
        }
        assertEquals(1.0, sum, 2e-6);
        assertTrue(seen.containsAll(List.of("cat", "dog", "car")), seen.toString());
        assertEquals(2, CliRun.of("zeroshot", "--model", wide.toString(), "--labels", "cat", "--template", "no slot",
                REF.resolve("p2_gray_61x97.png").toString()).exit);
    }

    @Test
    void modelsListsEveryBuiltInConfigWithItsParameterCount() {
        CliRun r = CliRun.of("models");
        assertEquals(0, r.exit, r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(ClipConfig.names().size() + 1, lines.size());
        String vitB32 = lines.stream().filter(l -> l.startsWith("ViT-B-32 ")).findFirst().orElseThrow();
        assertTrue(vitB32.matches("ViT-B-32 +151,277,313 +224 +512  ViT 12x768 patch 32; text 12x512; GELU"), vitB32);
        String rn50 = lines.stream().filter(l -> l.startsWith("RN50-quickgelu ")).findFirst().orElseThrow();
        assertTrue(rn50.contains("102,007,137") && rn50.contains("1024") && rn50.contains("ModifiedResNet [3, 4, 6, 3]"), rn50);
        assertTrue(lines.stream().anyMatch(l -> l.matches("ViT-L-14-336 +427,944,193 +336 +768 .*")), r.out());
    }

    /**
     * {@code clip models FILE...}: each file's line (from its config) and its provenance, key by key, or "none" for
     * a file clip4j's trainer did not write; a missing file is a clear error.
     */
    @Test
    void modelsDescribesFilesWithTheirProvenance(@TempDir Path tmp) {
        Path trained = tmp.resolve("trained.safetensors"), plain = tmp.resolve("plain.safetensors");
        try (ClipModel m = ClipModel.create(ClipConfig.builtin("clip4j-tiny"), 3)) {
            m.save(plain);
            m.setProvenance(new Provenance("0.1.0", "clip4j-tiny", "random (reference initialisation)",
                    "synthetic shapes (50000 samples)", 1500, 1500, 0, 64, 64, 1,
                    "AdamW lr 0.002, betas (0.9, 0.98), eps 1e-06, weight decay 0.2", "cosine, warmup 100 steps", 0,
                    "none", "none (evaluation transform)", "fp32", Instant.parse("2026-12-05T12:00:00Z"), "17.0.9",
                    "1.0.0-M2.1"));
            m.save(trained);
        }
        CliRun r = CliRun.of("models", trained.toString(), plain.toString());
        assertEquals(0, r.exit, r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(1).matches("trained.safetensors +3,335,105 +32 +64  ViT 2x64 patch 8; text 1x64; .*"),
                lines.get(1));
        assertEquals("  provenance:", lines.get(2));
        assertTrue(lines.contains("    data         synthetic shapes (50000 samples)"), r.out());
        assertTrue(lines.contains("    steps        1500"), r.out());
        assertTrue(lines.contains("    optimizer    AdamW lr 0.002, betas (0.9, 0.98), eps 1e-06, weight decay 0.2"), r.out());
        assertTrue(lines.contains("    started      2026-12-05T12:00:00Z"), r.out());
        int second = lines.indexOf(lines.stream().filter(l -> l.startsWith("plain.safetensors ")).findFirst().orElseThrow());
        assertEquals("  provenance: none (not written by clip4j's trainer)", lines.get(second + 1));
        CliRun missing = CliRun.of("models", tmp.resolve("nothing.safetensors").toString());
        assertTrue(missing.exit != 0 && missing.err().contains("nothing.safetensors"), missing.err());
        assertEquals("", missing.out(), "no table header before the error");
        assertTrue(!missing.err().contains("\tat "), "no stack trace: " + missing.err());
    }
}
