package org.clip4j.core.tokenizer;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Python's {@code html.unescape}: replaces HTML character references with the characters they stand for, by
 * the rules of the HTML5 standard as Python 3.11 implements them.
 *
 * <p>A reference starts with {@code &} and is one of:
 * <ul>
 *   <li>{@code &#} + ASCII decimal digits, or {@code &#x}/{@code &#X} + hex digits, with an optional {@code ;}.
 *       The number is mapped by Python's rules: 0 → U+FFFD; 0x0D and 0x80..0x9F are remapped (the latter
 *       through windows-1252, e.g. {@code &#x80;} → €); surrogates and numbers above U+10FFFF → U+FFFD; the
 *       control characters, non-characters and other invalid code points Python lists are dropped; anything
 *       else becomes that code point.</li>
 *   <li>a name: 1 to 32 characters other than tab, LF, FF, space, {@code <}, {@code &}, {@code #}, {@code ;},
 *       with an optional {@code ;}. If the whole name is in the HTML5 table (2,231 names) it is replaced;
 *       otherwise the longest prefix of at least two characters that is a name (only the 106 legacy names
 *       like {@code amp}, {@code lt} or {@code eacute} are valid without {@code ;}) is replaced and the rest
 *       kept, so {@code &notit;} → {@code ¬it;}; otherwise the text is left as it is.</li>
 * </ul>
 * The tables are generated from Python's {@code html} module by
 * {@code clip-core/src/main/scripts/gen_html5_entities.py}.
 */
final class HtmlUnescape {
    /** The longest name the reference's pattern reads, in code points (the optional {@code ;} not included). */
    private static final int MAX_NAME_LENGTH = 32;

    private static final Map<String, String> ENTITIES = loadEntities();
    private static final Map<Integer, String> REMAPPED = new HashMap<>();
    private static final Set<Integer> DROPPED = new HashSet<>();

    static {
        for (String line : TokenizerResources.dataLines("html_numeric_charrefs.tsv")) {
            String[] parts = line.split("\t");
            int number = Integer.parseInt(parts[1], 16);
            if ("R".equals(parts[0])) {
                REMAPPED.put(number, codePoints(parts[2]));
            } else if ("D".equals(parts[0])) {
                DROPPED.add(number);
            } else {
                throw new IllegalStateException("html_numeric_charrefs.tsv: bad line " + line);
            }
        }
    }

    private HtmlUnescape() {
    }

    private static Map<String, String> loadEntities() {
        Map<String, String> map = new HashMap<>(4096);
        for (String line : TokenizerResources.dataLines("html5_entities.tsv")) {
            String[] parts = line.split("\t");
            map.put(parts[0], codePoints(parts[1]));
        }
        return map;
    }

    private static String codePoints(String hex) {
        StringBuilder sb = new StringBuilder(2);
        for (String cp : hex.split(" ")) {
            sb.appendCodePoint(Integer.parseInt(cp, 16));
        }
        return sb.toString();
    }

    /** Number of named character references in the table (2,231). */
    static int entityCount() {
        return ENTITIES.size();
    }

    /** Returns Python's {@code html.unescape(text)}. */
    static String unescape(String text) {
        int amp = text.indexOf('&');
        if (amp < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int copied = 0;
        while (amp >= 0) {
            int end = replaceAt(text, amp, out, copied);
            if (end < 0) {
                amp = text.indexOf('&', amp + 1);
            } else {
                copied = end;
                amp = text.indexOf('&', end);
            }
        }
        return out.append(text, copied, text.length()).toString();
    }

    /**
     * Tries to read a reference at {@code amp}. On success, appends {@code text[copied, amp)} and the replacement
     * to {@code out} and returns the index after the reference; otherwise returns -1 and appends nothing.
     */
    private static int replaceAt(String text, int amp, StringBuilder out, int copied) {
        int n = text.length();
        int pos = amp + 1;
        if (pos < n && text.charAt(pos) == '#') {
            return replaceNumeric(text, amp, out, copied);
        }
        int end = pos;
        int count = 0;
        while (end < n && count < MAX_NAME_LENGTH && isNameChar(text.charAt(end))) {
            end += Character.charCount(text.codePointAt(end));
            count++;
        }
        if (count == 0) {
            return -1;
        }
        if (end < n && text.charAt(end) == ';') {
            end++;
        }
        out.append(text, copied, amp);
        String name = text.substring(pos, end);
        String value = ENTITIES.get(name);
        if (value != null) {
            out.append(value);
            return end;
        }
        // Longest prefix (at least two code points) that is a name; names are ASCII, so only ASCII
        // prefixes can match and char indices equal code point indices there.
        int ascii = 0;
        while (ascii < name.length() && name.charAt(ascii) < 0x80) {
            ascii++;
        }
        int longest = Math.min(ascii, codePointLengthBeforeLast(name));
        for (int x = longest; x >= 2; x--) {
            value = ENTITIES.get(name.substring(0, x));
            if (value != null) {
                out.append(value).append(name, x, name.length());
                return end;
            }
        }
        out.append('&').append(name);
        return end;
    }

    /** Index (in chars) where the last code point of a non-empty string starts. */
    private static int codePointLengthBeforeLast(String s) {
        return s.length() - Character.charCount(s.codePointBefore(s.length()));
    }

    private static boolean isNameChar(char c) {
        return c != '\t' && c != '\n' && c != '\f' && c != ' ' && c != '<' && c != '&' && c != '#' && c != ';';
    }

    private static int replaceNumeric(String text, int amp, StringBuilder out, int copied) {
        int n = text.length();
        int start = amp + 2;
        int radix = 10;
        if (start < n && (text.charAt(start) == 'x' || text.charAt(start) == 'X')) {
            radix = 16;
            start++;
        }
        int end = start;
        while (end < n && Character.digit(text.charAt(end), radix) >= 0 && text.charAt(end) < 0x80) {
            end++;
        }
        if (end == start) {
            return -1; // "&#", "&#;", "&#x;" ... are not references and cannot be names either
        }
        long number = parseSaturating(text, start, end, radix);
        if (end < n && text.charAt(end) == ';') {
            end++;
        }
        out.append(text, copied, amp);
        String remapped = REMAPPED.get((int) Math.min(number, Integer.MAX_VALUE));
        if (remapped != null) {
            out.append(remapped);
        } else if ((number >= 0xD800 && number <= 0xDFFF) || number > Character.MAX_CODE_POINT) {
            out.append('\uFFFD');
        } else if (!DROPPED.contains((int) number)) {
            out.appendCodePoint((int) number);
        }
        return end;
    }

    /** Parses ASCII digits; any value above U+10FFFF is returned as {@code MAX_CODE_POINT + 1}. */
    private static long parseSaturating(String text, int start, int end, int radix) {
        long value = 0;
        for (int i = start; i < end; i++) {
            value = value * radix + Character.digit(text.charAt(i), radix);
            if (value > Character.MAX_CODE_POINT) {
                return Character.MAX_CODE_POINT + 1L;
            }
        }
        return value;
    }
}
