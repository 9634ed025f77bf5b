package org.clip4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The tokenizer with ftfy against the reference (openai/CLIP {@code SimpleTokenizer().encode} with the real ftfy
 * 6.3.1) on texts that ftfy changes: curly quotes, ligatures, full-width forms, mojibake, BOM, ANSI escapes, C1
 * controls, NUL, NFC, HTML entities, emoji, CJK, long texts (clip-core/src/test/scripts/gen_ftfy_cases.py).
 */
class FtfyTokenizerTest {
    private final ClipTokenizer tokenizer = ClipTokenizer.openai();

    @Test
    void idsEqualTheReferenceWithFtfy() {
        List<JsonNode> cases = FtfyTest.cases("tokenizer_ftfy_cases.json");
        assertTrue(cases.size() > 400);
        List<String> bad = new ArrayList<>();
        int differentWithoutFtfy = 0;
        for (JsonNode c : cases) {
            String text = c.get("text").textValue();
            int[] expected = TokenizerFixtures.ints(c.get("encode"));
            assertEquals(c.get("fix_text").textValue(), Ftfy.fixText(text), text);
            int[] got = tokenizer.encode(text);
            if (!java.util.Arrays.equals(expected, got)) {
                bad.add(text);
            }
            if (!java.util.Arrays.equals(expected, tokenizer.withFtfy(false).encode(fixedSurrogates(text)))) {
                differentWithoutFtfy++;
            }
        }
        assertTrue(bad.isEmpty(), "ids differ for " + bad);
        // Why ftfy matters: most of these texts get other ids without it.
        assertTrue(differentWithoutFtfy > 250, "only " + differentWithoutFtfy + " differ without ftfy");
    }

    private static String fixedSurrogates(String text) {
        return Ftfy.fixSurrogates(text);
    }

    @Test
    void ftfyCanBeTurnedOff() {
        ClipTokenizer off = tokenizer.withFtfy(false);
        assertTrue(tokenizer.ftfy());
        assertEquals(false, off.ftfy());
        assertTrue(off.withFtfy(true).ftfy());
        assertTrue(tokenizer.withFtfy(true) == tokenizer);
        // it's: the curly apostrophe is a piece of its own without ftfy.
        assertArrayEquals(tokenizer.encode("it's"), tokenizer.encode("it’s"));
        assertTrue(off.encode("it’s").length != tokenizer.encode("it's").length
                || !java.util.Arrays.equals(off.encode("it’s"), tokenizer.encode("it's")));
    }
}
