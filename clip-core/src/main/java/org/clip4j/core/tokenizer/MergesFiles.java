package org.clip4j.core.tokenizer;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.clip4j.core.ClipException;

/** Reads the two on-disk formats of the CLIP BPE vocabulary into a {@link Vocabulary} and {@link BpeMerges}. */
final class MergesFiles {
    /**
     * Number of merges the reference uses: it slices {@code lines[1 : 49152-256-2+1]}, i.e. lines 1..48,894 (the
     * {@code +1} because line 0 is a header). The formula reads as "a 49,152-token vocabulary minus the 256 byte
     * symbols and the 2 special tokens", but the reference then also adds the 256 byte symbols with {@code </w>}, so
     * the vocabulary has 256 + 256 + 48,894 + 2 = 49,408 ids. The file holds about 262,000 lines; the rest are unused.
     */
    static final int MERGE_COUNT = 49152 - 256 - 2;

    private MergesFiles() {
    }

    /** A loaded vocabulary with its merge rules. */
    record Loaded(Vocabulary vocabulary, BpeMerges merges) {
    }

    /**
     * Reads the reference format ({@code bpe_simple_vocab_16e6.txt.gz}, gzip or plain): line 0 is a header,
     * lines 1..48,894 are merges {@code "left right"}; the vocabulary is derived from them.
     */
    static Loaded readReference(InputStream in, String source) throws IOException {
        String[] lines = decodeUtf8(maybeGunzip(in.readAllBytes()), source).split("\n", -1);
        if (lines.length < MERGE_COUNT + 1) {
            throw new ClipException(source + ": has " + Math.max(0, lines.length - 1)
                    + " lines after the header, expected at least " + MERGE_COUNT + " merges");
        }
        List<String[]> merges = new ArrayList<>(MERGE_COUNT);
        for (int i = 1; i <= MERGE_COUNT; i++) {
            merges.add(parseMerge(lines[i], i, source));
        }
        List<String> tokens = new ArrayList<>(2 * 256 + MERGE_COUNT + 2);
        for (int position = 0; position < 256; position++) {
            tokens.add(String.valueOf(ByteLevel.symbol(ByteLevel.byteAt(position))));
        }
        for (int position = 0; position < 256; position++) {
            tokens.add(ByteLevel.symbol(ByteLevel.byteAt(position)) + Vocabulary.END_OF_WORD);
        }
        for (String[] merge : merges) {
            tokens.add(merge[0] + merge[1]);
        }
        tokens.add(PreTokenizer.START_OF_TEXT);
        tokens.add(PreTokenizer.END_OF_TEXT);
        Vocabulary vocabulary = Vocabulary.fromList(tokens, source);
        return new Loaded(vocabulary, buildMerges(vocabulary, merges, 1, source));
    }

    /**
     * Reads a Hugging Face CLIP tokenizer: {@code vocab.json} (token → id) and {@code merges.txt} (a
     * {@code #version} line, then merges). Like Hugging Face's {@code CLIPTokenizer}, at most 48,894 merges are used.
     */
    static Loaded readHuggingFace(Path vocabJson, Path mergesTxt) throws IOException {
        String vocabSource = vocabJson.toString();
        Map<String, Integer> ids;
        try {
            ids = new ObjectMapper().readValue(vocabJson.toFile(), new TypeReference<Map<String, Integer>>() { });
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new ClipException(vocabSource + ": not a JSON object of token → integer id: " + e.getOriginalMessage(), e);
        }
        Vocabulary vocabulary = Vocabulary.fromMap(ids, vocabSource);
        String source = mergesTxt.toString();
        String[] lines = PythonWhitespace.strip(decodeUtf8(Files.readAllBytes(mergesTxt), source)).split("\n", -1);
        if (!lines[0].startsWith("#version")) {
            throw new ClipException(source + ": the first line must be the \"#version\" header, found "
                    + Vocabulary.quote(lines[0]));
        }
        int count = Math.min(lines.length - 1, MERGE_COUNT);
        List<String[]> merges = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) {
            merges.add(parseMerge(lines[i], i, source));
        }
        return new Loaded(vocabulary, buildMerges(vocabulary, merges, 1, source));
    }

    /**
     * Reads a Hugging Face fast-tokenizer file, {@code tokenizer.json}: its {@code model} must be a byte-level BPE
     * with {@code vocab} (token → id) and {@code merges}, each either a string {@code "left right"} (older files)
     * or a pair {@code ["left", "right"]} (newer ones). Special tokens listed only under {@code added_tokens} are
     * added to the vocabulary. As for {@link #readHuggingFace}, at most 48,894 merges are used, so the result
     * equals that of the same tokenizer's {@code vocab.json} + {@code merges.txt}.
     */
    static Loaded readTokenizerJson(Path tokenizerJson) throws IOException {
        String source = tokenizerJson.toString();
        com.fasterxml.jackson.databind.JsonNode root;
        try {
            root = new ObjectMapper().readTree(tokenizerJson.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new ClipException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        com.fasterxml.jackson.databind.JsonNode model = root == null ? null : root.get("model");
        if (model == null || !model.isObject()) throw new ClipException(source + ": no \"model\" object (not a tokenizer.json)");
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) throw new ClipException(source + ": model type \"" + type + "\", expected a BPE model");
        String suffix = model.path("end_of_word_suffix").asText(Vocabulary.END_OF_WORD);
        if (!model.path("end_of_word_suffix").isNull() && !suffix.equals(Vocabulary.END_OF_WORD)) {
            throw new ClipException(source + ": end_of_word_suffix " + Vocabulary.quote(suffix) + ", expected \"</w>\" (CLIP's BPE)");
        }
        com.fasterxml.jackson.databind.JsonNode vocabNode = model.get("vocab"), mergesNode = model.get("merges");
        if (vocabNode == null || !vocabNode.isObject()) throw new ClipException(source + ": model.vocab is not an object of token → id");
        if (mergesNode == null || !mergesNode.isArray()) throw new ClipException(source + ": model.merges is not an array");
        Map<String, Integer> ids = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e : (Iterable<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>>) vocabNode::fields) {
            if (!e.getValue().canConvertToInt()) {
                throw new ClipException(source + ": model.vocab " + Vocabulary.quote(e.getKey()) + " has no integer id");
            }
            ids.put(e.getKey(), e.getValue().intValue());
        }
        for (com.fasterxml.jackson.databind.JsonNode t : root.path("added_tokens")) {
            String content = t.path("content").asText(null);
            if (content != null && t.path("id").canConvertToInt() && !ids.containsKey(content)) {
                ids.put(content, t.path("id").intValue());
            }
        }
        int count = Math.min(mergesNode.size(), MERGE_COUNT);
        List<String[]> merges = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            com.fasterxml.jackson.databind.JsonNode m = mergesNode.get(i);
            if (m.isTextual()) {
                merges.add(parseMerge(m.textValue(), i, source + " model.merges"));
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                merges.add(new String[]{m.get(0).textValue(), m.get(1).textValue()});
            } else {
                throw new ClipException(source + ": model.merges[" + i + "] is neither \"left right\" nor [\"left\", \"right\"]");
            }
        }
        Vocabulary vocabulary = Vocabulary.fromMap(ids, source);
        return new Loaded(vocabulary, buildMerges(vocabulary, merges, 0, source + " model.merges"));
    }

    private static BpeMerges buildMerges(Vocabulary vocabulary, List<String[]> merges, int firstLine, String source) {
        BpeMerges.Builder builder = new BpeMerges.Builder();
        for (int i = 0; i < merges.size(); i++) {
            String[] merge = merges.get(i);
            int left = vocabulary.id(merge[0]);
            int right = vocabulary.id(merge[1]);
            int merged = vocabulary.id(merge[0] + merge[1]);
            if (left < 0 || right < 0 || merged < 0) {
                String missing = left < 0 ? merge[0] : right < 0 ? merge[1] : merge[0] + merge[1];
                throw new ClipException(source + ": line " + (firstLine + i) + " merges " + Vocabulary.quote(merge[0])
                        + " and " + Vocabulary.quote(merge[1]) + " but the vocabulary lacks "
                        + Vocabulary.quote(missing));
            }
            builder.add(left, right, merged);
        }
        return builder.build();
    }

    /** Splits a merge line like Python's {@code str.split()}; it must give exactly two symbols. */
    private static String[] parseMerge(String line, int lineNumber, String source) {
        List<String> parts = new ArrayList<>(2);
        int i = 0;
        int n = line.length();
        while (i < n) {
            while (i < n && UnicodeTables.PY_SPACE.contains(line.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < n && !UnicodeTables.PY_SPACE.contains(line.charAt(i))) {
                i++;
            }
            if (i > start) {
                parts.add(line.substring(start, i));
            }
        }
        if (parts.size() != 2) {
            throw new ClipException(source + ": line " + lineNumber + " is not a merge of two symbols: "
                    + Vocabulary.quote(line));
        }
        return parts.toArray(new String[0]);
    }

    private static byte[] maybeGunzip(byte[] bytes) throws IOException {
        if (bytes.length >= 2 && (bytes[0] & 0xFF) == 0x1F && (bytes[1] & 0xFF) == 0x8B) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
                return in.readAllBytes();
            }
        }
        return bytes;
    }

    private static String decodeUtf8(byte[] bytes, String source) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ClipException(source + ": not valid UTF-8 text", e);
        }
    }
}
