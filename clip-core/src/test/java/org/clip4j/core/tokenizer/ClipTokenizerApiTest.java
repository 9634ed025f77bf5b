package org.clip4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.clip4j.core.ClipException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The public API around encode: tokenize rows, truncation, errors, decode, the ND4J array. */
class ClipTokenizerApiTest {
    private final ClipTokenizer tokenizer = ClipTokenizer.openai();

    private static JsonNode caseWithCount(int count) {
        return TokenizerFixtures.referenceCases().stream()
                .filter(c -> c.get("num_tokens_with_sot_eot").intValue() == count).findFirst().orElseThrow();
    }

    @Test
    void openaiIsOneSharedInstanceWithTheReferenceSpecialIds() {
        assertSame(ClipTokenizer.openai(), tokenizer);
        assertEquals(49406, tokenizer.sotToken());
        assertEquals(49407, tokenizer.eotToken());
        assertEquals(49408, tokenizer.vocabSize());
        assertEquals(77, ClipTokenizer.DEFAULT_CONTEXT_LENGTH);
    }

    @Test
    void exactly77TokensFitWithoutTruncation() {
        JsonNode c = caseWithCount(77);
        long[] row = tokenizer.tokenize(List.of(c.get("text").textValue()), 77, false)[0];
        assertArrayEquals(TokenizerFixtures.longs(c.get("tokenize")), row);
        assertEquals(49407, row[76]);
        assertFalse(c.get("truncated").booleanValue());
    }

    @Test
    void tooLongWithoutTruncateNamesTextCountAndContextLength() {
        JsonNode c = caseWithCount(78);
        String text = c.get("text").textValue();
        ClipException e = assertThrows(ClipException.class, () -> tokenizer.tokenize(List.of("ok", text), 77, false));
        assertTrue(e.getMessage().contains("78 tokens"), e.getMessage());
        assertTrue(e.getMessage().contains("context length 77"), e.getMessage());
        assertTrue(e.getMessage().contains("text 1 "), e.getMessage());
        String shown = text.length() <= 80 ? text : text.substring(0, 77);
        assertTrue(e.getMessage().contains(shown), e.getMessage());
        // and with truncation: first 77 kept, last set to end-of-text
        long[] row = tokenizer.tokenize(List.of(text), 77, true)[0];
        assertArrayEquals(TokenizerFixtures.longs(c.get("tokenize")), row);
        int[] ids = tokenizer.encode(text);
        assertEquals(ids[74], row[75]);
        assertEquals(49407, row[76]);
    }

    @Test
    void longTextsAreAbbreviatedInTheMessage() {
        String text = "word ".repeat(200);
        ClipException e = assertThrows(ClipException.class, () -> tokenizer.tokenize(List.of(text), 16, false));
        assertTrue(e.getMessage().contains("\"word word"), e.getMessage());
        assertTrue(e.getMessage().contains("...\" (1000 characters)"), e.getMessage());
        assertTrue(e.getMessage().contains("202 tokens"), e.getMessage());
        assertTrue(e.getMessage().contains("context length 16"), e.getMessage());
        assertTrue(e.getMessage().length() < 300, e.getMessage());
    }

    @Test
    void contextLengthMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> tokenizer.tokenize(List.of("a"), 0, true));
        assertArrayEquals(new long[] {49407}, tokenizer.tokenize(List.of("a"), 1, true)[0]);
    }

    @Test
    void tokenizeToArrayIsInt64WithTheRows() {
        List<String> texts = List.of("a photo of a cat", "", "a diagram");
        long[][] rows = tokenizer.tokenize(texts, 16, true);
        INDArray array = tokenizer.tokenizeToArray(texts, 16, true);
        assertEquals(DataType.INT64, array.dataType());
        assertArrayEquals(new long[] {3, 16}, array.shape());
        for (int r = 0; r < 3; r++) {
            for (int i = 0; i < 16; i++) {
                assertEquals(rows[r][i], array.getLong(r, i));
            }
        }
        assertArrayEquals(new long[] {49406, 49407, 0, 0}, java.util.Arrays.copyOf(rows[1], 4));
        INDArray empty = tokenizer.tokenizeToArray(List.of(), 77, true);
        assertArrayEquals(new long[] {0, 77}, empty.shape());
        assertEquals(DataType.INT64, empty.dataType());
    }

    @Test
    void specialTokensInTextAndInDecode() {
        assertArrayEquals(new int[] {49406}, tokenizer.encode("<|startoftext|>"));
        assertArrayEquals(new int[] {320, 49407, 320}, tokenizer.encode("a<|endoftext|>a"));
        assertEquals("<|startoftext|>a <|endoftext|>", tokenizer.decode(new int[] {49406, 320, 49407}));
    }

    @Test
    void decodeRoundTripReproducesTheCleanedPieces() {
        List<String> texts = new ArrayList<>();
        TokenizerFixtures.referenceCases().forEach(c -> texts.add(c.get("text").textValue()));
        TokenizerFixtures.extra("cases").forEach(c -> texts.add(c.get("text").textValue()));
        int checked = 0;
        for (String text : texts) {
            String cleaned = TextCleaner.clean(text);
            if (cleaned.contains("</w>") || cleaned.contains("\uFFFD")) {
                continue; // a literal </w> decodes to a space
            }
            String expected = String.join("", PreTokenizer.split(cleaned));
            assertEquals(expected, tokenizer.decode(tokenizer.encode(text)).replace(" ", ""), text);
            checked++;
        }
        assertTrue(checked > 100, "checked " + checked);
        assertEquals("a photo of a cat ", tokenizer.decode(tokenizer.encode("A photo of a CAT")));
    }

    @Test
    void decodeRejectsUnknownIds() {
        ClipException e = assertThrows(ClipException.class, () -> tokenizer.decode(new int[] {320, 49408}));
        assertTrue(e.getMessage().contains("49408") && e.getMessage().contains("position 1"), e.getMessage());
        assertThrows(ClipException.class, () -> tokenizer.decode(new int[] {-1}));
    }

    @Test
    void decodeReplacesInvalidUtf8LikePython() {
        // The id of the lone byte 0xC3 (a UTF-8 lead byte without its continuation), then "a</w>".
        assertEquals("\uFFFDa ", tokenizer.decode(new int[] {positionOfByte(0xC3), 320}));
        // Encoded surrogate ED A0 80: Python gives three replacement characters (Java's decoder two).
        assertEquals("\uFFFD\uFFFD\uFFFD",
                tokenizer.decode(new int[] {positionOfByte(0xED), positionOfByte(0xA0), positionOfByte(0x80)}));
    }

    private static int positionOfByte(int b) {
        for (int p = 0; p < 256; p++) {
            if (ByteLevel.byteAt(p) == b) {
                return p;
            }
        }
        throw new AssertionError();
    }

    @Test
    void unpairedSurrogateIsBadInputWithoutFtfy() {
        // With ftfy (the reference's fix_surrogates) it becomes U+FFFD; without it there is no UTF-8 to encode.
        assertArrayEquals(tokenizer.encode("bad \uFFFD text"), tokenizer.encode("bad \uD800 text"));
        ClipException e = assertThrows(ClipException.class, () -> tokenizer.withFtfy(false).encode("bad \uD800 text"));
        assertTrue(e.getMessage().contains("U+D800") && e.getMessage().contains("bad"), e.getMessage());
        assertArrayEquals(tokenizer.encode("\uD83D\uDE00"), tokenizer.encode("&#x1F600;"));
    }
}
