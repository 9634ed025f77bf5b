package org.clip4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Cleaning steps, with expected values checked against Python 3.11 by hand. */
class TextCleanerTest {
    @Test
    void unescapesTwiceNotThreeTimes() {
        assertEquals("tom & jerry", TextCleaner.clean("Tom &amp;amp; Jerry", false));
        assertEquals("&amp;", TextCleaner.clean("&amp;amp;amp;", false));
        assertEquals("&lt;", HtmlUnescape.unescape("&amp;lt;"));
    }

    @Test
    void withFtfyEveryLevelIsUnescapedUnlessTheLineHasATag() {
        // ftfy 6.3.1: fix_text("&amp;amp;amp;") == "&"; with a '<' in the line it leaves entities to html.unescape.
        assertEquals("&", TextCleaner.clean("&amp;amp;amp;"));
        assertEquals("<b>&amp;</b>", TextCleaner.clean("<b>&amp;amp;amp;</b>"));
    }

    @Test
    void entityTableIsPythonsFullHtml5Table() {
        assertEquals(2231, HtmlUnescape.entityCount());
        assertEquals("\u2233", HtmlUnescape.unescape("&CounterClockwiseContourIntegral;"));
        assertEquals("\u2242\u0338", HtmlUnescape.unescape("&NotEqualTilde;"));
    }

    @Test
    void namedReferencesWithoutSemicolonUseTheLongestLegacyPrefix() {
        assertEquals("\u00acit;", HtmlUnescape.unescape("&notit;"));
        assertEquals("\u2209", HtmlUnescape.unescape("&notin;"));
        assertEquals("&x", HtmlUnescape.unescape("&ampx"));
        assertEquals("&", HtmlUnescape.unescape("&amp"));
        assertEquals("&zzz;", HtmlUnescape.unescape("&zzz;"));
        assertEquals("&#; & ;", HtmlUnescape.unescape("&#; & ;"));
    }

    @Test
    void numericReferencesFollowPythonsRules() {
        assertEquals("AB", HtmlUnescape.unescape("&#65&#x42;"));
        assertEquals("\uFFFD", HtmlUnescape.unescape("&#0;"));
        assertEquals("\u20AC", HtmlUnescape.unescape("&#x80;")); // windows-1252
        assertEquals("\u0081", HtmlUnescape.unescape("&#x81;"));
        assertEquals("\uFFFD\uFFFD", HtmlUnescape.unescape("&#xD800;&#x110000;"));
        assertEquals("\uFFFD", HtmlUnescape.unescape("&#99999999999999999999999;"));
        assertEquals("ab", HtmlUnescape.unescape("a&#1;&#xFFFF;&#x7f;b")); // dropped
        assertEquals("\uD83D\uDE00", HtmlUnescape.unescape("&#x1F600;"));
    }

    @Test
    void stripAndCollapseUseTheReferencesTwoWhitespaceSets() {
        assertEquals("a b", TextCleaner.clean("  a \t\n\u00a0\u3000 b\u2029", false));
        // U+001C..U+001F: stripped at the ends (str.isspace) but not collapsed inside (regex \s).
        assertEquals("a\u001c\u001cb", TextCleaner.clean("\u001ca\u001c\u001cb\u001f", false));
        assertEquals("zero\u200bwidth", TextCleaner.clean("zero\u200bwidth", false));
    }

    @Test
    void lowerDottedCapitalIAsPython() {
        // Python: 'İstanbul'.lower() == 'i\u0307stanbul'; Java's toLowerCase(Locale.ROOT) agrees.
        assertEquals("i\u0307stanbul", PythonCase.lower("\u0130stanbul"));
        assertEquals("i\u0307stanbul", "\u0130stanbul".toLowerCase(Locale.ROOT));
    }

    @Test
    void lowerFinalSigmaAsPython() {
        // Python: 'ΟΔΟΣ and ΣΟΦΙΑ'.lower() == 'οδος and σοφια' (final sigma only at a word end).
        assertEquals("\u03bf\u03b4\u03bf\u03c2 and \u03c3\u03bf\u03c6\u03b9\u03b1",
                PythonCase.lower("\u039f\u0394\u039f\u03a3 and \u03a3\u039f\u03a6\u0399\u0391"));
        assertEquals("\u03c3", PythonCase.lower("\u03a3")); // alone: not final
        assertEquals("a\u03c2.", PythonCase.lower("A\u03a3.")); // '.' is case-ignorable
        assertEquals("a\u03c3\u00adb", PythonCase.lower("A\u03a3\u00adB")); // soft hyphen skipped, then cased
        assertEquals("1\u03c3", PythonCase.lower("1\u03a3")); // no cased letter before
        // Java's toLowerCase(Locale.ROOT) implements the same rule for these.
        assertEquals("\u03bf\u03b4\u03bf\u03c2", "\u039f\u0394\u039f\u03a3".toLowerCase(Locale.ROOT));
    }

    @Test
    void lowerIgnoresTheDefaultLocale() {
        Locale saved = Locale.getDefault();
        try {
            Locale.setDefault(Locale.forLanguageTag("tr-TR"));
            assertEquals("\u0131", "I".toLowerCase()); // what a locale-dependent lowering would do
            assertEquals("istanbul i\u0307", TextCleaner.clean("ISTANBUL \u0130", false));
        } finally {
            Locale.setDefault(saved);
        }
    }
}
