package org.clip4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Runs the command line in-process against the reference fixtures. */
class ClipCommandTest extends CapturedStdio {
    static final Path REF = Path.of(System.getProperty("clip4j.testdata"), "clip-reference");

    @TempDir
    Path tmp;

    private int run(String stdin, String... args) {
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        return ClipCommand.execute(args);
    }

    @Test
    void tokenizeMatchesReferenceRows() throws Exception {
        JsonNode cases = new ObjectMapper().readTree(REF.resolve("tokenizer.expected.json").toFile()).get("cases");
        StringBuilder in = new StringBuilder();
        List<JsonNode> used = new ArrayList<>();
        for (JsonNode c : cases) {
            String t = c.get("text").asText();
            if (t.contains("\n") || t.contains("\r") || t.contains("\u2028") || t.contains("\u0085")) continue; // one text per line
            in.append(t).append('\n');
            used.add(c);
        }
        assertEquals(0, run(in.toString(), "tokenize"), err.toString());
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(used.size(), lines.length);
        for (int i = 0; i < lines.length; i++) {
            assertEquals(used.get(i).get("tokenize").toString().replace(",", ", "), lines[i], used.get(i).get("text").asText());
        }
        assertTrue(used.size() > 50);
    }

    /**
     * A Hugging Face tokenizer.json written from the bundled reference merges (model.vocab as the reference builds
     * it: byte symbols in bytes_to_unicode order, the same with {@code </w>}, one token per merge, the two special
     * tokens; merges as ["a", "b"] pairs, as newer tokenizers versions write them).
     */
    private static Path tokenizerJson(Path dir) throws Exception {
        List<String> lines;
        try (java.io.InputStream in = new java.util.zip.GZIPInputStream(
                org.clip4j.core.tokenizer.ClipTokenizer.class.getResourceAsStream("bpe_simple_vocab_16e6.txt.gz"))) {
            lines = List.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"));
        }
        List<Integer> order = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) order.add(b);
        for (int b = 0xA1; b <= 0xAC; b++) order.add(b);
        for (int b = 0xAE; b <= 0xFF; b++) order.add(b);
        String[] symbol = new String[256];
        int extra = 0;
        for (int b = 0; b < 256; b++) symbol[b] = order.contains(b) ? String.valueOf((char) b) : null;
        for (int b = 0; b < 256; b++) if (symbol[b] == null) { symbol[b] = String.valueOf((char) (256 + extra++)); order.add(b); }
        ObjectMapper json = new ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode root = json.createObjectNode();
        com.fasterxml.jackson.databind.node.ObjectNode model = root.putObject("model");
        model.put("type", "BPE").put("end_of_word_suffix", "</w>");
        com.fasterxml.jackson.databind.node.ObjectNode vocab = model.putObject("vocab");
        com.fasterxml.jackson.databind.node.ArrayNode merges = model.putArray("merges");
        int id = 0;
        for (int b : order) vocab.put(symbol[b], id++);
        for (int b : order) vocab.put(symbol[b] + "</w>", id++);
        for (String line : lines.subList(1, 1 + 48894)) {
            String[] ab = line.split(" ");
            vocab.put(ab[0] + ab[1], id++);
            merges.addArray().add(ab[0]).add(ab[1]);
        }
        vocab.put("<|startoftext|>", id++);
        vocab.put("<|endoftext|>", id);
        Files.createDirectories(dir);
        json.writeValue(dir.resolve("tokenizer.json").toFile(), root);
        return dir;
    }

    @Test
    void tokenizeWithATokenizerJsonFolder(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path dir = tokenizerJson(tmp.resolve("hf-tokenizer"));
        assertEquals(0, run("a photo of a cat.\n", "tokenize", "--context-length", "8", "--vocab", dir.toString()),
                err.toString());
        assertEquals("[49406, 320, 1125, 539, 320, 2368, 269, 49407]", out.toString(StandardCharsets.UTF_8).trim());
    }

    @Test
    void tokenizeContextLengthAndNoTruncate() {
        assertEquals(0, run("a photo of a cat.\n", "tokenize", "--context-length", "8"));
        // a photo of a cat . → 320 1125 539 320 2368 269
        assertEquals("[49406, 320, 1125, 539, 320, 2368, 269, 49407]", out.toString(StandardCharsets.UTF_8).trim());
        out.reset();
        assertEquals(0, run("a photo of a cat.\n", "tokenize", "--context-length", "5"));
        assertEquals("[49406, 320, 1125, 539, 49407]", out.toString(StandardCharsets.UTF_8).trim());
        assertEquals(1, run("a photo of a cat.\n", "tokenize", "--context-length", "5", "--no-truncate"));
        String e = err.toString(StandardCharsets.UTF_8).trim();
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.startsWith("clip: error: ") && e.contains("8") && e.contains("a photo of a cat."), e);
    }

    @Test
    void preprocessWritesReferencePixelValues() throws Exception {
        Path o = tmp.resolve("px.safetensors");
        String[] stems = {"p0_rgb_37x53", "p1_rgb_300x200", "p2_gray_61x97", "p3_rgba_45x32", "p4_palette_50x70"};
        List<String> args = new ArrayList<>(List.of("preprocess", "--size", "32", "--out", o.toString()));
        for (String s : stems) args.add(REF.resolve(s + ".png").toString());
        assertEquals(0, run("", args.toArray(String[]::new)), err.toString());
        try (SafetensorsFile f = SafetensorsFile.open(o);
             SafetensorsFile ref = SafetensorsFile.open(REF.resolve("preprocess.expected.safetensors"))) {
            assertArrayEquals(new long[]{5, 3, 32, 32}, f.info("pixel_values").shape());
            float[] all = f.floats("pixel_values");
            for (int i = 0; i < stems.length; i++) {
                float[] exp = ref.floats(stems[i] + ".n32.pixel_values");
                for (int j = 0; j < exp.length; j++) {
                    assertEquals(exp[j], all[i * exp.length + j], 1e-6, stems[i] + " element " + j);
                }
            }
        }
    }

    @Test
    void badInputGivesOneLineErrorNamingIt() throws Exception {
        Path junk = tmp.resolve("junk.png");
        Files.write(junk, new byte[]{1, 2, 3, 4});
        assertEquals(1, run("", "preprocess", "--size", "32", "--out", tmp.resolve("o.safetensors").toString(), junk.toString()));
        String e = err.toString(StandardCharsets.UTF_8).trim();
        assertTrue(e.startsWith("clip: error: ") && e.contains("junk.png") && e.lines().count() == 1, e);
        assertFalse(Files.exists(tmp.resolve("o.safetensors")));
        err.reset();
        assertEquals(1, run("", "preprocess", "--size", "32", "--resize-mode", "stretch", "--out", "x", junk.toString()));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--resize-mode stretch"));
        err.reset();
        assertEquals(2, run("", "tokenize", "--frobnicate"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--frobnicate"));
        err.reset();
        assertEquals(2, run("", "nosuchcommand"));
    }

    @Test
    void helpEverywhere() {
        for (String cmd : new String[]{"tokenize", "preprocess", "embed", "zeroshot", "models", "convert", "demo"}) {
            out.reset();
            assertEquals(0, run("", cmd, "--help"));
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("Usage: clip " + cmd), cmd);
        }
        out.reset();
        assertEquals(0, run("", "--help"));
        String top = out.toString(StandardCharsets.UTF_8);
        for (String cmd : new String[]{"tokenize", "preprocess", "embed", "zeroshot", "models", "convert", "demo"}) {
            assertTrue(top.contains(cmd), cmd + " missing from clip --help");
        }
    }

    @Test
    void nativeBuildChoice() {
        Set<String> avx512 = Set.of("avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl");
        assertEquals("", NativeBuild.choose("plain", avx512));
        assertEquals("-onednn-avx2", NativeBuild.choose("avx2", Set.of()));
        assertEquals("-onednn-avx512", NativeBuild.choose("AVX512", Set.of()));
        assertThrows(IllegalArgumentException.class, () -> NativeBuild.choose("fast", Set.of()));
        // clip-cli carries both oneDNN builds: the fastest one the flags allow is chosen
        assertEquals("-onednn-avx512", NativeBuild.choose(null, avx512));
        assertEquals("-onednn-avx2", NativeBuild.choose(null, Set.of("avx2", "fma", "avx512f")));
        assertEquals("", NativeBuild.choose(null, Set.of("sse4_2")));
    }
}
