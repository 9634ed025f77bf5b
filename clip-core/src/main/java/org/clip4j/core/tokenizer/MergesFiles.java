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
