package org.clip4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** Issue 13, in process: misuse of the command line is refused clearly; bad rows are skipped and counted. */
class FaultsCommandTest {
    static final Path REF = EmbedCommandTest.REF;
    static final Path IMG = REF.resolve("p0_rgb_37x53.png");

    @TempDir
    Path tmp;

    private Path tinyConfig() throws IOException {
        return Files.writeString(tmp.resolve("tiny.json"), TrainCommandTest.TINY);
    }

    private List<String> train(Path cfg, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--model", cfg.toString(), "--data", "synthetic:16",
                "--batch-size", "4", "--steps", "1", "--data-threads", "1"));
        a.addAll(Arrays.asList(extra));
        return a;
    }

    // item 5 -------------------------------------------------------------------------------------------------

    @Test
    void numericOptionsAreValidatedNamingTheOption() throws IOException {
        Path cfg = tinyConfig();
        String[][] cases = {
                {"--batch-size", "0"}, {"--batch-size", "-4"}, {"--lr", "NaN"}, {"--lr", "Infinity"}, {"--steps", "0"},
                {"--steps", "-1"}, {"--accum-freq", "0"}, {"--wd", "-1"}, {"--keep-last", "0"}, {"--warmup", "-3"},
                {"--max-consecutive-bad-samples", "0"}};
        for (String[] c : cases) {
            Path dir = tmp.resolve("run" + c[0] + c[1]);
            List<String> args = train(cfg, "--checkpoint-dir", dir.toString());
            int at = args.indexOf(c[0]);
            if (at >= 0) {
                args.set(at + 1, c[1]);
            } else {
                args.add(c[0]);
                args.add(c[1]);
            }
            CliRun r = CliRun.of(args.toArray(String[]::new));
            assertEquals(1, r.exit, String.join(" ", c) + ": " + r.rawErr());
            assertTrue(r.err().startsWith("clip: error: " + c[0] + " " + c[1] + ":"), String.join(" ", c) + ": " + r.err());
            assertFalse(Files.exists(dir.resolve("step-00000001")), "no checkpoint for " + String.join(" ", c));
        }
        CliRun limit = CliRun.of("eval", "zeroshot", "--model", "m.safetensors", "--dataset", "cifar10:x", "--limit", "-5");
        assertEquals(2, limit.exit);
        assertTrue(limit.err().contains("--limit -5: expected 0 (all) or more"), limit.err());
        List<String> zero = train(cfg);
        zero.set(zero.indexOf("synthetic:16"), "synthetic:0");
        CliRun synth = CliRun.of(zero.toArray(String[]::new));
        assertEquals(1, synth.exit);
        assertTrue(synth.err().contains("--data synthetic:0: expected"), synth.err());
    }

    // item 8: help ---------------------------------------------------------------------------------------------

    @Test
    void trainHelpPrintsNoPicocliWarnings() {
        CliRun r = CliRun.of("train", "--help");
        assertEquals(0, r.exit);
        assertFalse(r.rawErr().contains("[picocli WARN]"), r.rawErr());
        assertTrue(r.out().contains("of 90-100 % of the area"), r.out());
        assertTrue(r.out().contains("--overwrite") && r.out().contains("--max-consecutive-bad-samples"), r.out());
    }

    // item 4 -------------------------------------------------------------------------------------------------

    @Test
    void anOutputIsNeverOneOfTheInputs() throws IOException {
        Path model = WideVocab.write(EmbedCommandTest.VIT, tmp.resolve("m.safetensors"));
        byte[] modelBytes = Files.readAllBytes(model);
        Path texts = Files.writeString(tmp.resolve("t.txt"), "a cat\n");
        CliRun same = CliRun.of("embed", "--model", model.toString(), "--texts-file", texts.toString(), "--out", model.toString());
        assertEquals(1, same.exit);
        assertTrue(same.err().contains("--out " + model + " is the input --model"), same.err());

        Path link = Files.createSymbolicLink(tmp.resolve("link.safetensors"), model);
        CliRun viaLink = CliRun.of("embed", "--model", model.toString(), "--texts-file", texts.toString(), "--out", link.toString());
        assertEquals(1, viaLink.exit);
        assertTrue(viaLink.err().contains("is the input --model"), viaLink.err());
        CliRun textsOut = CliRun.of("embed", "--model", model.toString(), "--texts-file", texts.toString(), "--out",
                texts.getParent().resolve(".").resolve(texts.getFileName()).toString());
        assertEquals(1, textsOut.exit);
        assertTrue(textsOut.err().contains("is the input --texts-file"), textsOut.err());
        assertArrayEquals(modelBytes, Files.readAllBytes(model), "the model is untouched");
        assertEquals("a cat\n", Files.readString(texts));

        Path img = Files.copy(IMG, tmp.resolve("img.png"));
        byte[] imgBytes = Files.readAllBytes(img);
        CliRun pre = CliRun.of("preprocess", "--size", "32", "--out", img.toString(), img.toString());
        assertEquals(1, pre.exit);
        assertTrue(pre.err().contains("is the input IMAGE"), pre.err());
        assertArrayEquals(imgBytes, Files.readAllBytes(img));

        CliRun conv = CliRun.of("convert", "--model", model.toString(), "--to", "safetensors", "--out", link.toString());
        assertEquals(1, conv.exit);
        assertTrue(conv.err().contains("is the input --model"), conv.err());
        assertArrayEquals(modelBytes, Files.readAllBytes(model));

        // a different file in the same folder is fine
        assertEquals(0, CliRun.of("embed", "--model", model.toString(), "--texts-file", texts.toString(), "--out",
                tmp.resolve("e.safetensors").toString()).exit);
    }

    // item 8: models ------------------------------------------------------------------------------------------

    @Test
    void aCheckpointFolderIsAModelAndAnOptimizerFileIsNamedAsSuch() throws IOException {
        Path dir = tmp.resolve("run");
        CliRun t = CliRun.of(train(tinyConfig(), "--checkpoint-dir", dir.toString()).toArray(String[]::new));
        assertEquals(0, t.exit, t.rawErr());
        Path ckpt = dir.resolve("step-00000001");
        CliRun z = CliRun.of("zeroshot", "--model", ckpt.toString(), "--labels", "cat,dog", IMG.toString());
        assertEquals(0, z.exit, z.rawErr());
        assertTrue(z.out().startsWith(IMG + "\n"), z.out());
        CliRun o = CliRun.of("zeroshot", "--model", ckpt.resolve("optimizer.safetensors").toString(), "--labels", "cat,dog", IMG.toString());
        assertEquals(1, o.exit);
        assertTrue(o.err().contains("this is an optimizer state file"), o.err());
        assertTrue(o.err().contains("model.safetensors next to it"), o.err());
    }

    // item 8: skipped count and UTF-8 --------------------------------------------------------------------------

    @Test
    void theSummarysSkippedCountIsTheCheckpointsAndBadUtf8NamesTheLine() throws IOException {
        // rows 0-8 are images except row 2 (missing): the two steps take rows 0-8; rows 9-15 are missing too, which
        // the loader's prefetch reads but no step consumes
        StringBuilder sb = new StringBuilder("filepath\ttitle\n");
        for (int i = 0; i < 16; i++) sb.append(i < 9 && i != 2 ? IMG : tmp.resolve("gone" + i + ".png")).append("\tpicture ").append(i).append('\n');
        Path m = Files.writeString(tmp.resolve("m.tsv"), sb);
        Path dir = tmp.resolve("run");
        CliRun r = CliRun.of("train", "--model", tinyConfig().toString(), "--data", m.toString(), "--no-shuffle", "--batch-size", "4",
                "--steps", "2", "--data-threads", "1", "--checkpoint-dir", dir.toString(), "--checkpoint-every", "1");
        assertEquals(0, r.exit, r.rawErr());
        Matcher s = Pattern.compile("trained 2 steps \\((\\d+) samples, (\\d+) skipped\\)").matcher(r.out());
        assertTrue(s.find(), r.out());
        JsonNode state = new ObjectMapper().readTree(dir.resolve("step-00000002").resolve("trainer.json").toFile());
        assertEquals(1, state.get("skipped").asInt(), "row 2 only");
        assertEquals(state.get("skipped").asInt(), Integer.parseInt(s.group(2)), r.out());
        assertEquals(state.get("samples_seen").asInt(), Integer.parseInt(s.group(1)));

        byte[] text = ("filepath\ttitle\n" + IMG + "\tok\n" + IMG + "\tcaf").getBytes(StandardCharsets.UTF_8);
        byte[] bad = Arrays.copyOf(text, text.length + 2);
        bad[text.length] = (byte) 0xe9;
        bad[text.length + 1] = '\n';
        Path latin1 = Files.write(tmp.resolve("latin1.tsv"), bad);
        CliRun u = CliRun.of("train", "--model", tinyConfig().toString(), "--data", latin1.toString(), "--steps", "1");
        assertEquals(1, u.exit);
        assertTrue(u.err().contains("latin1.tsv: line 3 is not valid UTF-8"), u.err());
    }

    // item 10 ------------------------------------------------------------------------------------------------

    @Test
    void retrievalSkipsAndCountsMissingImagesAndEmptyCaptions() throws IOException {
        Path wide = WideVocab.write(EmbedCommandTest.VIT, tmp.resolve("wide.safetensors"));
        String clean = "path,caption\n"
                + IMG + ",a red square\n"
                + REF.resolve("p1_rgb_300x200.png") + ",a wide photo\n"
                + IMG + ",\"a small, red picture\"\n"
                + REF.resolve("p2_gray_61x97.png") + ",a gray image\n";
        String dirty = clean
                + tmp.resolve("missing.png") + ",a lost picture\n"
                + REF.resolve("p3_rgba_45x32.png") + ",\n"
                + tmp.resolve("missing.png") + ",the lost picture again\n";
        Path a = Files.writeString(tmp.resolve("clean.csv"), clean), b = Files.writeString(tmp.resolve("dirty.csv"), dirty);
        JsonNode want = EvalCommandTest.onlyJson(CliRun.of("eval", "retrieval", "--model", wide.toString(), "--dataset", "csv:" + a, "--batch", "2"));
        CliRun r = CliRun.of("eval", "retrieval", "--model", wide.toString(), "--dataset", "csv:" + b, "--batch", "2");
        JsonNode got = EvalCommandTest.onlyJson(r);
        assertEquals(3, got.get("skipped_rows").asInt(), "two captions of the missing image, one empty caption");
        assertEquals(0, want.get("skipped_rows").asInt());
        assertEquals(3, got.get("images").asInt());
        assertEquals(4, got.get("captions").asInt());
        for (var it = want.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (k.contains("R@") || k.contains("rank")) assertEquals(want.get(k).asDouble(), got.get(k).asDouble(), 0.0, k);
        }
        assertTrue(r.err().contains("3 manifest rows skipped"), r.err());
    }
}
