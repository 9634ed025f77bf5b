package org.clip4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Edge cases whose expected values were computed with Python 3.11.2, its html module and regex 2022.10.31 (the
 * fixtures' versions) by clip-core/src/test/scripts/gen_tokenizer_extra_cases.py, whose re-implementation of the
 * reference reproduces all 68 reference fixture cases. That script treats ftfy as the identity, so the full
 * pipeline here runs without ftfy ({@link ClipTokenizer#withFtfy}); ftfy's step is checked against the real ftfy by
 * {@link FtfyTest} and {@link FtfyTokenizerTest}.
 */
class ExtraCasesTest {
    private final ClipTokenizer tokenizer = ClipTokenizer.openai().withFtfy(false);

    @TestFactory
    Stream<DynamicTest> fullPipeline() {
        return TokenizerFixtures.extra("cases").stream().map(c -> dynamicTest(
                TokenizerFixtures.label(c.get("text").textValue()), () -> {
                    String text = c.get("text").textValue();
                    String cleaned = TextCleaner.clean(text, false);
                    assertEquals(c.get("cleaned").textValue(), cleaned, "cleaned");
                    assertEquals(TokenizerFixtures.strings(c.get("pretokens")), PreTokenizer.split(cleaned), "pretokens");
                    int[] ids = tokenizer.encode(text);
                    assertArrayEquals(TokenizerFixtures.ints(c.get("encode")), ids, "encode");
                    List<String> tokens = new ArrayList<>();
                    for (int id : ids) {
                        tokens.add(tokenizer.tokenString(id));
                    }
                    assertEquals(TokenizerFixtures.strings(c.get("bpe_tokens")), tokens, "bpe_tokens");
                    assertEquals(c.get("decode").textValue(), tokenizer.decode(ids), "decode");
                }));
    }

    @TestFactory
    Stream<DynamicTest> htmlUnescapeOnce() {
        return TokenizerFixtures.extra("html_unescape_once").stream().map(c -> dynamicTest(
                TokenizerFixtures.label(c.get("input").textValue()),
                () -> assertEquals(c.get("output").textValue(), HtmlUnescape.unescape(c.get("input").textValue()))));
    }

    @TestFactory
    Stream<DynamicTest> pythonLower() {
        return TokenizerFixtures.extra("lower").stream().map(c -> dynamicTest(
                TokenizerFixtures.label(c.get("input").textValue()),
                () -> assertEquals(c.get("output").textValue(), PythonCase.lower(c.get("input").textValue()))));
    }

    @Test
    void utf8DecodingWithReplacementLikePython() {
        List<JsonNode> cases = TokenizerFixtures.extra("utf8_replace");
        int differentInJava = 0;
        for (JsonNode c : cases) {
            byte[] bytes = HexFormat.of().parseHex(c.get("hex").textValue());
            String expected = c.get("decoded").textValue();
            assertEquals(expected, PythonUtf8.decode(bytes, bytes.length), c.get("hex").textValue());
            if (!expected.equals(new String(bytes, java.nio.charset.StandardCharsets.UTF_8))) {
                differentInJava++;
            }
        }
        // Why PythonUtf8 exists: Java's decoder replaces encoded surrogates (ED A0 80 ...) differently.
        assertNotEquals(0, differentInJava, "expected some cases where Java's own UTF-8 decoder differs");
    }

    @Test
    void decodeOfArbitraryByteIds() {
        for (JsonNode c : TokenizerFixtures.extra("decode_ids")) {
            int[] ids = TokenizerFixtures.ints(c.get("ids"));
            assertEquals(c.get("decoded").textValue(), tokenizer.decode(ids), c.get("ids").toString());
        }
    }

    @Test
    void whitespaceSetsEqualPython() {
        List<Integer> pySpace = new ArrayList<>();
        TokenizerFixtures.extra("py_space").forEach(n -> pySpace.add(n.intValue()));
        List<Integer> regexSpace = new ArrayList<>();
        TokenizerFixtures.extra("regex_space").forEach(n -> regexSpace.add(n.intValue()));
        assertEquals(pySpace, members(UnicodeTables.PY_SPACE), "str.isspace()");
        assertEquals(regexSpace, members(UnicodeTables.REGEX_SPACE), "regex \\s");
        // Java's Unicode \s is the regex module's \s, but not str.isspace() (U+001C..U+001F).
        Pattern javaSpace = Pattern.compile("\\s", Pattern.UNICODE_CHARACTER_CLASS);
        List<Integer> java = new ArrayList<>();
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            if (javaSpace.matcher(new String(Character.toChars(cp))).matches()) {
                java.add(cp);
            }
        }
        assertEquals(regexSpace, java);
        assertNotEquals(pySpace, java);
        assertEquals(List.of(0x1C, 0x1D, 0x1E, 0x1F),
                pySpace.stream().filter(cp -> !regexSpace.contains(cp)).toList());
    }

    private static List<Integer> members(CodePointSet set) {
        List<Integer> out = new ArrayList<>();
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            if (set.contains(cp)) {
                out.add(cp);
            }
        }
        return out;
    }
}
