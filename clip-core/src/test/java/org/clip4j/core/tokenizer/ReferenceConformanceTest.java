package org.clip4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every field of every case of testdata/clip-reference/tokenizer.expected.json, exactly: cleaning, pre-tokens, BPE
 * token strings, encode, decode, the 77-id tokenize row, the token count and the truncation flag.
 */
class ReferenceConformanceTest {
    private final ClipTokenizer tokenizer = ClipTokenizer.openai();

    @Test
    void headerMatchesTheBundledVocabulary() {
        JsonNode header = TokenizerFixtures.reference();
        assertEquals(header.get("sot_token").intValue(), tokenizer.sotToken());
        assertEquals(header.get("eot_token").intValue(), tokenizer.eotToken());
        assertEquals(header.get("vocab_size").intValue(), tokenizer.vocabSize());
        assertEquals(77, header.get("context_length").intValue());
        assertEquals(ClipTokenizer.DEFAULT_CONTEXT_LENGTH, header.get("context_length").intValue());
    }

    @TestFactory
    Stream<DynamicTest> everyCaseEveryField() {
        return TokenizerFixtures.referenceCases().stream().map(c -> dynamicTest(
                TokenizerFixtures.label(c.get("text").textValue()), () -> checkCase(c)));
    }

    private void checkCase(JsonNode c) {
        String text = c.get("text").textValue();
        String cleaned = TextCleaner.clean(text);
        assertEquals(c.get("cleaned").textValue(), cleaned, "cleaned");
        List<String> pieces = PreTokenizer.split(cleaned);
        assertEquals(TokenizerFixtures.strings(c.get("pretokens")), pieces, "pretokens");
        int[] ids = tokenizer.encode(text);
        assertArrayEquals(TokenizerFixtures.ints(c.get("encode")), ids, "encode");
        assertEquals(TokenizerFixtures.strings(c.get("bpe_tokens")), tokenStrings(ids), "bpe_tokens");
        assertEquals(c.get("decode").textValue(), tokenizer.decode(ids), "decode");
        assertEquals(c.get("num_tokens_with_sot_eot").intValue(), ids.length + 2, "num_tokens_with_sot_eot");
        assertEquals(c.get("truncated").booleanValue(), ids.length + 2 > 77, "truncated");
        long[][] rows = tokenizer.tokenize(List.of(text), 77, true);
        assertEquals(1, rows.length);
        assertArrayEquals(TokenizerFixtures.longs(c.get("tokenize")), rows[0], "tokenize row");
    }

    private List<String> tokenStrings(int[] ids) {
        List<String> out = new ArrayList<>();
        for (int id : ids) {
            out.add(tokenizer.tokenString(id));
        }
        return out;
    }

    @Test
    void fixtureCoversExactly77And78AndLonger() {
        List<Integer> counts = new ArrayList<>();
        TokenizerFixtures.referenceCases().forEach(c -> counts.add(c.get("num_tokens_with_sot_eot").intValue()));
        assertTrue(counts.contains(77), "a case with exactly 77 tokens");
        assertTrue(counts.contains(78), "a case with 78 tokens");
        assertTrue(counts.stream().anyMatch(n -> n > 78), "a case with more than 78 tokens");
    }

    @Test
    void allTextsInOneBatchGiveTheFixtureRows() {
        List<JsonNode> cases = TokenizerFixtures.referenceCases();
        List<String> texts = new ArrayList<>();
        cases.forEach(c -> texts.add(c.get("text").textValue()));
        long[][] rows = tokenizer.tokenize(texts, 77, true);
        assertEquals(cases.size(), rows.length);
        for (int i = 0; i < rows.length; i++) {
            assertArrayEquals(TokenizerFixtures.longs(cases.get(i).get("tokenize")), rows[i], texts.get(i));
        }
    }

    /** Rows for other context lengths, derived from the fixture's encode ids by the reference rule. */
    @TestFactory
    Stream<DynamicTest> otherContextLengths() {
        return Stream.of(1, 2, 3, 16, 40, 100).flatMap(ctx -> TokenizerFixtures.referenceCases().stream().map(c ->
                dynamicTest("ctx " + ctx + ": " + TokenizerFixtures.label(c.get("text").textValue()), () -> {
                    int[] ids = TokenizerFixtures.ints(c.get("encode"));
                    long[] expected = new long[ctx];
                    long[] full = new long[ids.length + 2];
                    full[0] = 49406;
                    for (int i = 0; i < ids.length; i++) {
                        full[i + 1] = ids[i];
                    }
                    full[full.length - 1] = 49407;
                    System.arraycopy(full, 0, expected, 0, Math.min(ctx, full.length));
                    if (full.length > ctx) {
                        expected[ctx - 1] = 49407;
                    }
                    String text = c.get("text").textValue();
                    assertArrayEquals(expected, tokenizer.tokenize(List.of(text), ctx, true)[0]);
                    if (full.length <= ctx) {
                        assertArrayEquals(expected, tokenizer.tokenize(List.of(text), ctx, false)[0]);
                        // zero padding after end-of-text
                        assertTrue(Arrays.stream(expected, full.length, ctx).allMatch(v -> v == 0));
                    }
                })));
    }
}
