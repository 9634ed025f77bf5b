package org.clip4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Ftfy#fixText} against ftfy 6.3.1 itself: its own test suite and generated mojibake, with the outputs of
 * the real ftfy recorded by clip-core/src/test/scripts/gen_ftfy_cases.py.
 */
class FtfyTest {
    static List<JsonNode> cases(String file) {
        try (InputStream in = FtfyTest.class.getResourceAsStream("ftfy/" + file)) {
            assertNotNull(in, "missing test resource ftfy/" + file);
            List<JsonNode> list = new ArrayList<>();
            new ObjectMapper().readTree(in).get("cases").forEach(list::add);
            return list;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String show(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(cp -> sb.append(cp >= 0x20 && cp < 0x7F ? String.valueOf((char) cp) : String.format("\\u%04x", cp)));
        return sb.toString();
    }

    private static List<String> mismatches(List<JsonNode> cases, String input, String expected,
                                           java.util.function.UnaryOperator<String> f) {
        List<String> bad = new ArrayList<>();
        for (JsonNode c : cases) {
            String in = c.get(input).textValue();
            String want = c.get(expected).textValue();
            String got = f.apply(in);
            if (!want.equals(got)) {
                bad.add(show(in) + " -> " + show(got) + ", ftfy: " + show(want));
            }
        }
        return bad;
    }

    @Test
    void ftfyOwnSuite() {
        List<JsonNode> cases = cases("ftfy_test_cases.json");
        assertEquals(161, cases.size());
        List<String> bad = mismatches(cases, "original", "ftfy_fix_text", Ftfy::fixText);
        bad.addAll(mismatches(cases, "original", "ftfy_fix_encoding", Ftfy::fixEncoding));
        int passing = 0;
        for (JsonNode c : cases) {
            String orig = c.get("original").textValue();
            String extraBad = new String(orig.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    java.nio.charset.StandardCharsets.ISO_8859_1);
            String got = Ftfy.fixText(extraBad);
            if (!got.equals(c.get("ftfy_fix_text_extra_bad").textValue())) {
                bad.add("extra bad " + show(orig) + " -> " + show(got));
            }
            if ("pass".equals(c.get("expect").textValue())) {
                // ftfy passes these: its output is the expected text, so ours is too.
                String fixed = c.get("fixed").textValue();
                assertEquals(fixed, c.get("ftfy_fix_text").textValue(), c.get("label").textValue());
                passing++;
            }
        }
        assertEquals(151, passing);
        assertTrue(bad.isEmpty(), bad.size() + " differences:\n" + String.join("\n", bad));
    }

    @Test
    void generatedMojibakeAndBadness() {
        List<JsonNode> cases = cases("ftfy_random_cases.json");
        assertTrue(cases.size() > 5000);
        List<String> bad = mismatches(cases, "text", "fix_text", Ftfy::fixText);
        int changed = 0;
        for (JsonNode c : cases) {
            String text = c.get("text").textValue();
            int got = FtfyBadness.badness(text);
            if (got != c.get("badness").intValue()) {
                bad.add("badness " + show(text) + " = " + got + ", ftfy: " + c.get("badness").intValue());
            }
            // The same sequences as a java.util.regex pattern agree: the hand-made matcher is the regex.
            if (FtfyBadness.badnessByRegex(text) != got) {
                bad.add("badness by regex " + show(text) + " = " + FtfyBadness.badnessByRegex(text) + ", matcher: " + got);
            }
            if (!text.equals(c.get("fix_text").textValue())) {
                changed++;
            }
        }
        assertTrue(changed > 1000, "the cases must exercise the fixes: " + changed);
        assertTrue(bad.isEmpty(), bad.size() + " differences:\n" + String.join("\n", bad.subList(0, Math.min(60, bad.size()))));
    }

    @Test
    void nfcEqualsPythonsUnicode14() {
        List<JsonNode> cases = cases("nfc_cases.json");
        List<String> bad = mismatches(cases, "text", "nfc", Ftfy::nfc);
        int jvmDiffers = 0;
        for (JsonNode c : cases) {
            if (!java.text.Normalizer.normalize(c.get("text").textValue(), java.text.Normalizer.Form.NFC)
                    .equals(c.get("nfc").textValue())) {
                jvmDiffers++;
            }
        }
        assertTrue(bad.isEmpty(), bad.size() + " differences:\n" + String.join("\n", bad));
        // On a JVM whose Unicode data predates 14.0 (Java 17: 13.0) its own NFC gets some of these wrong.
        if (!Character.isDefined(0x1AC1)) {
            assertTrue(jvmDiffers > 50, "only " + jvmDiffers + " cases where the JVM's NFC differs");
        }
    }

    @Test
    void segmentsAndHtmlRule() {
        // '<' in a segment turns HTML unescaping off for it and for every later segment, not for earlier ones.
        assertEquals("&\n<b>&amp;\n&amp;", Ftfy.fixText("&amp;\n<b>&amp;\n&amp;"));
        // Repeated until nothing changes: each round unescapes one level.
        assertEquals("&", Ftfy.fixText("&amp;amp;amp;"));
        assertEquals("só", Ftfy.fixText("sÃ³"));
        assertEquals("it's \"fine\" fi", Ftfy.fixText("it’s “fine” ﬁ"));
        assertEquals("ABC 012", Ftfy.fixText("ＡＢＣ　０１２"));
        assertEquals("xãy", Ftfy.fixText("xa\u0303y"));
        assertEquals("red", Ftfy.fixText("\u001b[31mred\u001b[0m"));
        assertEquals("ab…", Ftfy.fixText("\ufeffa\u0000b\u0085")); // U+0085 is a C1 control: windows-1252 …
        assertEquals("\uFFFD", Ftfy.fixText("\ud800"));
    }

    @Test
    void longTextIsCutIntoSegmentsOfAMillionCodePoints() {
        // One segment ends inside the mojibake "Ã³": each half alone is not fixed.
        String text = "a".repeat(Ftfy.MAX_DECODE_LENGTH - 1) + "Ã³" + "b";
        String fixed = Ftfy.fixText(text);
        assertEquals(text, fixed);
        String whole = "a".repeat(Ftfy.MAX_DECODE_LENGTH - 3) + "Ã³" + "b";
        assertEquals("a".repeat(Ftfy.MAX_DECODE_LENGTH - 3) + "ó" + "b", Ftfy.fixText(whole));
        // Code points, not chars: 999,999 emoji (two chars each) and then mojibake still fit one segment.
        String emoji = "😀".repeat(Ftfy.MAX_DECODE_LENGTH - 2) + "Ã³";
        assertEquals("😀".repeat(Ftfy.MAX_DECODE_LENGTH - 2) + "ó", Ftfy.fixText(emoji));
    }
}
