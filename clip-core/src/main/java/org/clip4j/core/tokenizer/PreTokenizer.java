package org.clip4j.core.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits cleaned text into the pieces that BPE encodes, exactly like the reference's
 * {@code regex.findall} with the pattern (flag {@code IGNORECASE}):
 * <pre>{@code <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+}</pre>
 * At each position the alternatives are tried in that order:
 * <ul>
 *   <li>the special tokens and the contractions, case-insensitively with the {@code regex} module's simple case
 *       folding (ASCII letters match either case, and {@code s} also matches {@code ſ} U+017F), and only with
 *       the ASCII apostrophe;</li>
 *   <li>a run of letters; a single number character (so {@code "42"} gives {@code "4"}, {@code "2"});</li>
 *   <li>a run of characters that are neither whitespace, letters nor numbers. The run is greedy, so an
 *       apostrophe or {@code <} inside it does not start a contraction or special token:
 *       {@code "!!'s"} gives {@code "!!'"}, {@code "s"}.</li>
 * </ul>
 * Anything else (whitespace, and U+0345, which the {@code regex} module's IGNORECASE puts in none of the
 * classes) is skipped. Combining marks are not letters, so they form their own pieces. The character classes
 * are the reference's, read from {@link UnicodeTables}, not the JVM's.
 */
final class PreTokenizer {
    static final String START_OF_TEXT = "<|startoftext|>";
    static final String END_OF_TEXT = "<|endoftext|>";
    private static final String[] CONTRACTIONS = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};

    private PreTokenizer() {
    }

    /** Returns the pieces of {@code text}, in order. */
    static List<String> split(String text) {
        List<String> pieces = new ArrayList<>();
        int n = text.length();
        int i = 0;
        while (i < n) {
            int end = matchLiteralAlternatives(text, i);
            if (end < 0) {
                int cp = text.codePointAt(i);
                end = i + Character.charCount(cp);
                if (UnicodeTables.LETTER.contains(cp)) {
                    while (end < n && UnicodeTables.LETTER.contains(cp = text.codePointAt(end))) {
                        end += Character.charCount(cp);
                    }
                } else if (UnicodeTables.SKIP.contains(cp)) {
                    i = end;
                    continue;
                } else if (!UnicodeTables.NUMBER.contains(cp)) {
                    while (end < n && isOther(cp = text.codePointAt(end))) {
                        end += Character.charCount(cp);
                    }
                }
            }
            pieces.add(text.substring(i, end));
            i = end;
        }
        return pieces;
    }

    private static boolean isOther(int cp) {
        return !UnicodeTables.LETTER.contains(cp) && !UnicodeTables.NUMBER.contains(cp)
                && !UnicodeTables.SKIP.contains(cp);
    }

    /** End of a special token or contraction starting at {@code i}, or -1. */
    private static int matchLiteralAlternatives(String text, int i) {
        char c = text.charAt(i);
        if (c == '<') {
            if (matchesFolded(text, i, START_OF_TEXT)) {
                return i + START_OF_TEXT.length();
            }
            if (matchesFolded(text, i, END_OF_TEXT)) {
                return i + END_OF_TEXT.length();
            }
        } else if (c == '\'') {
            for (String contraction : CONTRACTIONS) {
                if (matchesFolded(text, i, contraction)) {
                    return i + contraction.length();
                }
            }
        }
        return -1;
    }

    /** Whether {@code text} at {@code i} equals the lowercase ASCII {@code literal} under simple case folding. */
    private static boolean matchesFolded(String text, int i, String literal) {
        if (i + literal.length() > text.length()) {
            return false;
        }
        for (int k = 0; k < literal.length(); k++) {
            char c = text.charAt(i + k);
            char p = literal.charAt(k);
            boolean same = c == p
                    || (p >= 'a' && p <= 'z' && c == p - 'a' + 'A')
                    || (p == 's' && c == '\u017F');
            if (!same) {
                return false;
            }
        }
        return true;
    }
}
