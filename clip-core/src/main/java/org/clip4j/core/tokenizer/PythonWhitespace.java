package org.clip4j.core.tokenizer;

/**
 * The two notions of whitespace in the reference's text cleaning, which differ on U+001C..U+001F:
 * <ul>
 *   <li>{@link #strip(String)} is Python's {@code str.strip()}: it removes {@code str.isspace()} characters, which
 *       include the information separators U+001C..U+001F;</li>
 *   <li>{@link #collapse(String)} is {@code re.sub(r'\s+', ' ', text)} where {@code re} is the {@code regex}
 *       module (the reference imports {@code regex as re}), whose {@code \s} is the Unicode White_Space
 *       property: tab, LF, VT, FF, CR, space, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F,
 *       U+205F, U+3000, but not U+001C..U+001F. (Java's {@code \s} with {@code UNICODE_CHARACTER_CLASS} is the
 *       same set; the stdlib {@code re} module's {@code \s} would be {@code isspace()}.)</li>
 * </ul>
 * So U+001C, a, U+001C, U+001C, b, U+001C cleans to a, U+001C, U+001C, b: stripped at the ends, kept inside.
 */
final class PythonWhitespace {
    private PythonWhitespace() {
    }

    /** Python's {@code text.strip()}: removes leading and trailing {@code str.isspace()} characters. */
    static String strip(String text) {
        int start = 0;
        int end = text.length();
        // Every isspace() character is in the BMP, so char-wise scanning is exact (a surrogate is never space).
        while (start < end && UnicodeTables.PY_SPACE.contains(text.charAt(start))) {
            start++;
        }
        while (end > start && UnicodeTables.PY_SPACE.contains(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(start, end);
    }

    /** Replaces every run of White_Space characters ({@code regex}'s {@code \s}) by one ASCII space. */
    static String collapse(String text) {
        StringBuilder out = null;
        int n = text.length();
        int copied = 0;
        int i = 0;
        while (i < n) {
            if (!UnicodeTables.REGEX_SPACE.contains(text.charAt(i))) {
                i++;
                continue;
            }
            int runEnd = i + 1;
            while (runEnd < n && UnicodeTables.REGEX_SPACE.contains(text.charAt(runEnd))) {
                runEnd++;
            }
            if (runEnd - i > 1 || text.charAt(i) != ' ') {
                if (out == null) {
                    out = new StringBuilder(n);
                }
                out.append(text, copied, i).append(' ');
                copied = runEnd;
            }
            i = runEnd;
        }
        if (out == null) {
            return text;
        }
        return out.append(text, copied, n).toString();
    }
}
