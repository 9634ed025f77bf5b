package org.clip4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The reference pattern's alternatives, one rule per test; expected values from Python's regex module. */
class PreTokenizerTest {
    @Test
    void lettersNumbersAndOtherRuns() {
        assertEquals(List.of("a", "photo", "of", "4", "2", "!!!", "?"), PreTokenizer.split("a photo of 42!!! ?"));
        assertEquals(List.of("e", "=", "mc", "\u00b2"), PreTokenizer.split("e = mc\u00b2"));
    }

    @Test
    void contractionsOnlyWithAsciiApostropheAndOnlyAtAMatchStart() {
        assertEquals(List.of("don", "'t", "we", "'ll", "i", "'d"), PreTokenizer.split("don't we'll i'd"));
        assertEquals(List.of("don", "\u2019", "t"), PreTokenizer.split("don\u2019t"));
        assertEquals(List.of("''", "s", "!!'", "s"), PreTokenizer.split("''s !!'s"));
        assertEquals(List.of("it", "'S"), PreTokenizer.split("it'S"));
        assertEquals(List.of("it", "'\u017f"), PreTokenizer.split("it'\u017f")); // simple case folding: ſ ~ s
    }

    @Test
    void specialTokens() {
        assertEquals(List.of("hello", "<|endoftext|>", "world"), PreTokenizer.split("hello <|endoftext|> world"));
        assertEquals(List.of("<|startoftext|>", "<|endoftext|>"), PreTokenizer.split("<|startoftext|><|endoftext|>"));
        assertEquals(List.of("a", "!<|", "endoftext", "|>"), PreTokenizer.split("a!<|endoftext|>"));
        assertEquals(List.of("<|", "endoftext", "|"), PreTokenizer.split("<|endoftext|"));
    }

    @Test
    void combiningMarksAreNotLettersAndU0345IsDropped() {
        assertEquals(List.of("i", "\u0307", "stanbul"), PreTokenizer.split("i\u0307stanbul"));
        assertEquals(List.of("x", "y"), PreTokenizer.split("x\u0345y"));
    }

    @Test
    void lettersNewerThanJava17AreLetters() {
        // U+1E030 (Unicode 15) and U+10597 (Unicode 14) are letters for the reference, unknown to Java 17.
        assertEquals(List.of("\uD838\uDC30\uD801\uDD97"), PreTokenizer.split("\uD838\uDC30\uD801\uDD97"));
        assertEquals(List.of("\uD807\uDF50", "\uD807\uDF51"), PreTokenizer.split("\uD807\uDF50\uD807\uDF51"));
    }
}
