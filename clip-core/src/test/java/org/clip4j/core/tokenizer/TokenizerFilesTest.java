package org.clip4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.clip4j.core.ClipException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading from a reference merges file (gzip and plain) and from Hugging Face vocab.json + merges.txt. */
class TokenizerFilesTest {
    private static List<String> mergeLines;
    private static List<String> texts;

    @TempDir
    Path dir;

    @BeforeAll
    static void readBundled() throws IOException {
        try (InputStream in = new GZIPInputStream(
                ClipTokenizer.class.getResourceAsStream("bpe_simple_vocab_16e6.txt.gz"))) {
            mergeLines = Arrays.asList(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n", -1));
        }
        texts = new ArrayList<>();
        TokenizerFixtures.referenceCases().forEach(c -> texts.add(c.get("text").textValue()));
        TokenizerFixtures.extra("cases").forEach(c -> texts.add(c.get("text").textValue()));
    }

    private static void assertSameIds(ClipTokenizer expected, ClipTokenizer actual) {
        for (String text : texts) {
            assertArrayEquals(expected.encode(text), actual.encode(text), text);
        }
    }

    @Test
    void gzipAndPlainMergesFilesGiveTheBundledIds() throws IOException {
        Path gz = dir.resolve("merges.txt.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(String.join("\n", mergeLines).getBytes(StandardCharsets.UTF_8));
        }
        Path plain = dir.resolve("merges.txt");
        Files.writeString(plain, String.join("\n", mergeLines));
        ClipTokenizer fromGz = ClipTokenizer.fromMergesFile(gz);
        ClipTokenizer fromPlain = ClipTokenizer.fromMergesFile(plain);
        assertEquals(49408, fromPlain.vocabSize());
        assertEquals(49406, fromPlain.sotToken());
        assertSameIds(ClipTokenizer.openai(), fromGz);
        assertSameIds(ClipTokenizer.openai(), fromPlain);
        TokenizerFixtures.referenceCases().forEach(c -> assertArrayEquals(TokenizerFixtures.ints(c.get("encode")),
                fromPlain.encode(c.get("text").textValue())));
    }

    @Test
    void shortOrMissingMergesFileIsReported() throws IOException {
        Path shortFile = dir.resolve("short.txt");
        Files.writeString(shortFile, String.join("\n", mergeLines.subList(0, 1001)));
        ClipException e = assertThrows(ClipException.class, () -> ClipTokenizer.fromMergesFile(shortFile));
        assertTrue(e.getMessage().contains(shortFile.toString()) && e.getMessage().contains("48894"), e.getMessage());
        Path missing = dir.resolve("nope.txt.gz");
        e = assertThrows(ClipException.class, () -> ClipTokenizer.fromMergesFile(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        Path bad = dir.resolve("bad.txt");
        List<String> lines = new ArrayList<>(mergeLines);
        lines.set(5, "onlyonesymbol");
        Files.writeString(bad, String.join("\n", lines));
        e = assertThrows(ClipException.class, () -> ClipTokenizer.fromMergesFile(bad));
        assertTrue(e.getMessage().contains("line 5") && e.getMessage().contains("onlyonesymbol"), e.getMessage());
    }

    /** Writes vocab.json with id(token) = mapping(reference id), and merges.txt. */
    private void writeHuggingFace(ClipTokenizer reference, java.util.function.IntUnaryOperator mapping)
            throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int id = 0; id < reference.vocabSize(); id++) {
            vocab.put(reference.tokenString(id), mapping.applyAsInt(id));
        }
        new ObjectMapper().writeValue(dir.resolve("vocab.json").toFile(), vocab);
        List<String> merges = new ArrayList<>();
        merges.add("#version: 0.2");
        merges.addAll(mergeLines.subList(1, 1 + MergesFiles.MERGE_COUNT));
        Files.writeString(dir.resolve("merges.txt"), String.join("\n", merges) + "\n");
    }

    @Test
    void huggingFaceFilesOfTheSameVocabularyGiveTheSameIds() throws IOException {
        ClipTokenizer reference = ClipTokenizer.openai();
        writeHuggingFace(reference, id -> id);
        ClipTokenizer hf = ClipTokenizer.fromHuggingFace(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
        assertEquals(49408, hf.vocabSize());
        assertEquals(49406, hf.sotToken());
        assertEquals(49407, hf.eotToken());
        assertSameIds(reference, hf);
        for (String text : texts) {
            int[] ids = hf.encode(text);
            assertEquals(reference.decode(ids), hf.decode(ids));
            assertArrayEquals(reference.tokenize(List.of(text), 77, true), hf.tokenize(List.of(text), 77, true));
        }
    }

    @Test
    void huggingFaceIdsComeFromVocabJson() throws IOException {
        ClipTokenizer reference = ClipTokenizer.openai();
        int last = reference.vocabSize() - 1;
        writeHuggingFace(reference, id -> last - id); // a permutation of the ids
        ClipTokenizer hf = ClipTokenizer.fromHuggingFace(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
        assertEquals(1, hf.sotToken());
        assertEquals(0, hf.eotToken());
        for (String text : texts) {
            int[] expected = Arrays.stream(reference.encode(text)).map(id -> last - id).toArray();
            int[] ids = hf.encode(text);
            assertArrayEquals(expected, ids, text);
            assertEquals(reference.decode(reference.encode(text)), hf.decode(ids));
        }
    }

    @Test
    void malformedHuggingFaceFilesAreReported() throws IOException {
        writeHuggingFace(ClipTokenizer.openai(), id -> id);
        Path merges = dir.resolve("merges.txt");
        List<String> lines = new ArrayList<>(Files.readAllLines(merges));
        Files.write(merges, lines.subList(1, lines.size()));
        ClipException e = assertThrows(ClipException.class,
                () -> ClipTokenizer.fromHuggingFace(dir.resolve("vocab.json"), merges));
        assertTrue(e.getMessage().contains("#version"), e.getMessage());
        Path json = dir.resolve("broken.json");
        Files.writeString(json, "{\"a\": ");
        e = assertThrows(ClipException.class, () -> ClipTokenizer.fromHuggingFace(json, merges));
        assertTrue(e.getMessage().contains(json.toString()), e.getMessage());
        Files.writeString(json, "{\"a\": 0}");
        e = assertThrows(ClipException.class, () -> ClipTokenizer.fromHuggingFace(json, merges));
        assertTrue(e.getMessage().contains("lacks the token"), e.getMessage());
    }

    /**
     * Writes tokenizer.json as Hugging Face's fast CLIP tokenizer lays it out: model.vocab, model.merges (strings
     * "a b" or, in newer files, pairs ["a", "b"]), the special tokens also under added_tokens.
     */
    private Path writeTokenizerJson(ClipTokenizer reference, boolean pairs) throws IOException {
        ObjectMapper json = new ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        com.fasterxml.jackson.databind.node.ArrayNode added = root.putArray("added_tokens");
        for (int id : new int[]{49406, 49407}) added.addObject().put("id", id).put("content", reference.tokenString(id));
        com.fasterxml.jackson.databind.node.ObjectNode model = root.putObject("model");
        model.put("type", "BPE").put("continuing_subword_prefix", "").put("end_of_word_suffix", "</w>");
        com.fasterxml.jackson.databind.node.ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < reference.vocabSize(); id++) vocab.put(reference.tokenString(id), id);
        com.fasterxml.jackson.databind.node.ArrayNode merges = model.putArray("merges");
        for (String line : mergeLines.subList(1, 1 + MergesFiles.MERGE_COUNT)) {
            if (pairs) merges.addArray().add(line.split(" ")[0]).add(line.split(" ")[1]);
            else merges.add(line);
        }
        Path p = dir.resolve("tokenizer.json");
        json.writeValue(p.toFile(), root);
        return p;
    }

    @Test
    void tokenizerJsonWithStringOrPairMergesEqualsVocabJsonAndMergesTxt() throws IOException {
        ClipTokenizer reference = ClipTokenizer.openai();
        writeHuggingFace(reference, id -> id);
        ClipTokenizer files = ClipTokenizer.fromHuggingFace(dir.resolve("vocab.json"), dir.resolve("merges.txt"));
        for (boolean pairs : new boolean[]{false, true}) {
            ClipTokenizer fast = ClipTokenizer.fromTokenizerJson(writeTokenizerJson(reference, pairs));
            assertEquals(49408, fast.vocabSize());
            assertEquals(49406, fast.sotToken());
            assertEquals(49407, fast.eotToken());
            assertSameIds(files, fast);
            assertSameIds(reference, fast);
            TokenizerFixtures.referenceCases().forEach(c -> assertArrayEquals(TokenizerFixtures.ints(c.get("encode")),
                    fast.encode(c.get("text").textValue())));
        }
    }

    @Test
    void malformedTokenizerJsonIsReported() throws IOException {
        Path p = dir.resolve("tokenizer.json");
        Files.writeString(p, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}");
        ClipException e = assertThrows(ClipException.class, () -> ClipTokenizer.fromTokenizerJson(p));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("WordPiece"), e.getMessage());
        Files.writeString(p, "{\"model\": {\"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a b\"]}}");
        e = assertThrows(ClipException.class, () -> ClipTokenizer.fromTokenizerJson(p));
        assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("lacks the token"), e.getMessage());
        Files.writeString(p, "{\"model\": {\"vocab\": {\"a\": 0}, \"merges\": [[\"a\"]]}}");
        e = assertThrows(ClipException.class, () -> ClipTokenizer.fromTokenizerJson(p));
        assertTrue(e.getMessage().contains("model.merges[0]"), e.getMessage());
        Files.writeString(p, "[1, 2");
        e = assertThrows(ClipException.class, () -> ClipTokenizer.fromTokenizerJson(p));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }
}
