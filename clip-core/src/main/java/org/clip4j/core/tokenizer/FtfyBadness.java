package org.clip4j.core.tokenizer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ftfy 6.3.1's mojibake heuristic ({@code ftfy.badness}): a text "is bad" when it holds one of a list of
 * character sequences that are far more likely to come from UTF-8 decoded in the wrong code page than from
 * real writing, such as a lower-case accented letter followed by a currency sign. The characters are grouped
 * into ftfy's categories ({@code bad}, {@code currency}, {@code upper_accented}, ...; data in
 * {@code ftfy_tables.txt}); the sequences are the alternatives below, in ftfy's order.
 *
 * <p>Where ftfy's Python pattern says {@code \s} or {@code \w}, Python's own classes are used ({@code str.isspace()},
 * {@code str.isalnum()} or {@code _}, Unicode 14.0), not Java's. {@code .} is any character but {@code \n}, as in
 * Python ({@link Pattern#UNIX_LINES}).
 */
final class FtfyBadness {
    /**
     * The sequences, in ftfy's notation: {@code {name}} is the body of ftfy's character category {@code name}
     * (inside brackets) or, alone, {@code [{py_space}]}/{@code [{py_word}]} for Python's {@code \s}/{@code \w}.
     */
    private static final String[] SEQUENCES = {
        "[{c1}]",
        "[{bad}{lower_accented}{upper_accented}{box}{start_punctuation}{end_punctuation}{currency}{numeric}{law}][{bad}]",
        "[a-zA-Z][{lower_common}{upper_common}][{bad}]",
        "[{bad}][{lower_accented}{upper_accented}{box}{start_punctuation}{end_punctuation}{currency}{numeric}{law}]",
        "[{lower_accented}{lower_common}{box}{end_punctuation}{currency}{numeric}][{upper_accented}]",
        "[{box}{end_punctuation}{currency}{numeric}][{lower_accented}]",
        "[{lower_accented}{box}{end_punctuation}][{currency}]",
        "[{py_space}][{upper_accented}][{currency}]",
        "[{upper_accented}{box}][{numeric}{law}]",
        "[{lower_accented}{upper_accented}{box}{currency}{end_punctuation}][{start_punctuation}][{numeric}]",
        "[{lower_accented}{upper_accented}{currency}{numeric}{box}{law}][{end_punctuation}][{start_punctuation}]",
        "[{currency}{numeric}{box}][{start_punctuation}]",
        "[a-z][{upper_accented}][{start_punctuation}{currency}]",
        "[{box}][{kaomoji}]",
        "[{lower_accented}{upper_accented}{currency}{numeric}{start_punctuation}{end_punctuation}{law}][{box}]",
        "[{box}][{end_punctuation}]",
        "[{lower_accented}{upper_accented}][{start_punctuation}{end_punctuation}][{py_word}]",
        // the ligature œ not followed by an unaccented Latin letter
        "[Œœ][^A-Za-z]",
        // a degree sign after a capital letter
        "[{upper_accented}]°",
        // common two-character windows-1252 mojibake the rules above miss
        "[ÂÃÎÐ][€œŠš¢£Ÿž\u00a0\u00ad®©°·»{start_punctuation}{end_punctuation}–—´]",
        "×[²³]",
        // windows-1252 mojibake of Arabic: four characters, as the 'common' category takes part
        "[ØÙ][{common}{currency}{bad}{numeric}{start_punctuation}ŸŠ®°µ»][ØÙ][{common}{currency}{bad}{numeric}{start_punctuation}ŸŠ®°µ»]",
        // windows-1252 starts of three-byte sequences of some South Asian scripts
        "à[²µ¹¼½¾]",
        // MacRoman mojibake
        "√[±∂†≠®™´≤≥¥µø]",
        "≈[°¢]",
        "‚Ä[ìîïòôúùû†°¢π]",
        "‚[âó][àä°ê]",
        // windows-1251 mojibake of U+2000..U+206F
        "вЂ",
        // windows-1251 mojibake of Latin-1 or Cyrillic: three characters
        "[ВГРС][{c1}{bad}{start_punctuation}{end_punctuation}{currency}°µ][ВГРС]",
        // windows-1251 over windows-1252 mojibake, next to a Latin letter
        "ГўВЂВ.[A-Za-z ]",
        // windows-1252 forms of à, á and U+00A0 itself
        "Ã[\u00a0¡]",
        "[a-z][{py_space}]?[ÃÂ][ ]",
        "^[ÃÂ][ ]",
        // Â before a character that it encodes together with that same character
        "[a-z.,?!{end_punctuation}]Â[ {start_punctuation}{end_punctuation}]",
        // windows-1253 mojibake of U+2000..U+206F, and of Latin-1 or Greek
        "β€[™\u00a0Ά\u00ad®°]",
        "[ΒΓΞΟ][{c1}{bad}{start_punctuation}{end_punctuation}{currency}°][ΒΓΞΟ]",
        // windows-1257 mojibake of U+2000..U+206F
        "ā€",
    };

    /** The sequences as a java.util.regex pattern: slow with these large classes, compiled only for tests. */
    private static final class Regex {
        static final Pattern BADNESS = Pattern.compile(expand(String.join("|", SEQUENCES)), Pattern.UNIX_LINES);
    }

    private static final CharClassPattern BADNESS =
            CharClassPattern.compile(SEQUENCES, java.util.List.of("py_space", "py_word"));

    private FtfyBadness() {
    }

    /**
     * Replaces every {@code {name}} by the body of that class from {@code ftfy_tables.txt}; a brace followed by
     * a digit is a regex quantifier and stays.
     */
    static String expand(String template) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            char c = template.charAt(i);
            if (c == '{' && Character.isLetter(template.charAt(i + 1))) {
                int end = template.indexOf('}', i);
                sb.append(FtfyTables.classBody(template.substring(i + 1, end)));
                i = end + 1;
            } else {
                sb.append(c);
                i++;
            }
        }
        return sb.toString();
    }

    /** ftfy's {@code is_bad}: whether the text contains one of the sequences. */
    static boolean isBad(String text) {
        return BADNESS.find(text);
    }

    /** ftfy's {@code badness}: the number of non-overlapping sequences found, left to right. */
    static int badness(String text) {
        return BADNESS.count(text);
    }

    /** {@link #badness} computed with {@code java.util.regex} (for tests). */
    static int badnessByRegex(String text) {
        Matcher m = Regex.BADNESS.matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
