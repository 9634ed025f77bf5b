package org.clip4j.core.tokenizer;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ftfy's {@code fix_text} with its default {@code TextFixerConfig}, following ftfy 6.3.1 (the version that
 * openai/CLIP and open_clip users install today; Apache License 2.0, by Robyn Speer): the first step of the reference
 * tokenizer's {@code basic_clean}.
 *
 * <p>{@link #fixText} cuts the text into segments after each {@code \n} (and every 1,000,000 code points
 * without one) and fixes each segment on its own. A segment is fixed by applying these steps in turn until a
 * whole round changes nothing:
 * <ol>
 *   <li>{@code unescape_html}: HTML entities that end in {@code ;} ({@code &amp;}, {@code &eacute;}, a few
 *       upper-case forms such as {@code &EACUTE;}, and numeric ones). Off for a segment that contains {@code <}
 *       (the text is real HTML) and for every segment after it.</li>
 *   <li>{@code fix_encoding}: if the text looks like mojibake ({@link FtfyBadness}), re-encode it in the first
 *       code page that can encode it (latin-1, sloppy windows-1252, -1251, -1250, -1253, -1254, -1257,
 *       ISO-8859-2, MacRoman, cp437) and decode the bytes as UTF-8 (after {@code restore_byte_a0} and, for the
 *       sloppy code pages, {@code replace_lossy_sequences}; {@code utf-8-variants} if there is a byte ED or C0);
 *       else fix UTF-8 mojibake embedded in other text ({@code decode_inconsistent_utf8}); else latin-1 read
 *       as windows-1252; else C1 controls as windows-1252. Repeated until nothing changes.</li>
 *   <li>{@code fix_c1_controls}, {@code fix_latin_ligatures} (ﬁ → fi), {@code fix_character_width}
 *       (ＡＢＣ → ABC, half-width katakana → full width, U+3000 → space), {@code uncurl_quotes} (’ → '),
 *       {@code fix_line_breaks} (\r\n, \r, U+2028, U+2029, U+0085 → \n), {@code fix_surrogates},
 *       {@code remove_terminal_escapes} (ANSI {@code ESC [ ... m}), {@code remove_control_chars} (C0 controls
 *       but tab, LF, FF, CR; DEL; U+206A..U+206F; U+FEFF; U+FFF9..U+FFFC).</li>
 *   <li>NFC normalization.</li>
 * </ol>
 *
 * <p>The tables (categories, code pages, entity names, width and ligature maps) are ftfy's, generated into
 * {@code ftfy_tables.txt}; Python's {@code \s}, {@code \w} and {@code \d} are taken from Python 3.11 (Unicode
 * 14.0), and NFC gives Python's Unicode 14.0 result on an older JVM too ({@link #nfc}). What remains: a text that
 * holds both a combining mark unknown to the JVM (Java 17: the 40 marks new in Unicode 14.0) and the older mark
 * used in its place (U+0305, U+0316, U+0ABC, U+094D or U+302A) gets the JVM's own NFC; and a Java string cannot
 * hold two separate surrogate code points that form a pair, which Python's {@code str} can (ftfy joins them, so
 * the result is the same).
 */
final class Ftfy {
    /** ftfy's {@code max_decode_length}: the longest segment fixed at once, in code points. */
    static final int MAX_DECODE_LENGTH = 1_000_000;

    private static final Map<String, String> ENTITIES = FtfyTables.map("entities");
    private static final Map<String, String> LIGATURES = FtfyTables.map("ligatures");
    private static final Map<String, String> WIDTH = FtfyTables.map("width");
    /**
     * Combining marks that this JVM's Unicode data does not know (Java 17: the 40 marks of Unicode 14.0), each with
     * a known mark of the same combining class that never composes: see {@link #nfc}.
     */
    private static final Map<Integer, Integer> NFC_PLACEHOLDERS = unknownMarks();
    /** The code points either map replaces, to skip the map lookup for all others. */
    private static final CodePointSet TRANSLATED = keys(LIGATURES, WIDTH);
    private static final CodePointSet CONTROL_CHARS = FtfyTables.set("control_chars");

    private static final Pattern HTML_ENTITY = Pattern.compile("&#?[0-9A-Za-z]{1,24};");
    private static final Pattern ANSI_ESCAPE = Pattern.compile(
            "\u001b\\[((?:[" + FtfyTables.classBody("py_decimal") + "]|;)*)([a-zA-Z])");

    // ftfy's UTF8_DETECTOR_RE: runs of what look like UTF-8 sequences decoded in a single-byte code page, not
    // right after a character that is almost always such a continuation itself.
    private static final CodePointSet UTF8_FIRST_OF_2 = FtfyTables.set("utf8_first_of_2");
    private static final CodePointSet UTF8_FIRST_OF_3 = FtfyTables.set("utf8_first_of_3");
    private static final CodePointSet UTF8_FIRST_OF_4 = FtfyTables.set("utf8_first_of_4");
    private static final CodePointSet UTF8_CONTINUATION = FtfyTables.set("utf8_continuation");
    private static final CodePointSet UTF8_CONTINUATION_STRICT = FtfyTables.set("utf8_continuation_strict");

    private Ftfy() {
    }

    /** ftfy's {@code fix_text(text)} with the default configuration. */
    static String fixText(String text) {
        if (isPlain(text)) {
            return text; // nothing below changes printable ASCII without '&', nor tab, LF, FF
        }
        StringBuilder out = new StringBuilder(text.length());
        boolean unescapeHtml = true;
        int pos = 0;
        while (pos < text.length()) {
            int end = text.indexOf('\n', pos) + 1;
            if (end == 0) {
                end = text.length();
            }
            if (end - pos > MAX_DECODE_LENGTH && text.codePointCount(pos, end) > MAX_DECODE_LENGTH) {
                end = text.offsetByCodePoints(pos, MAX_DECODE_LENGTH);
            }
            String segment = text.substring(pos, end);
            if (unescapeHtml && segment.indexOf('<') >= 0) {
                unescapeHtml = false; // ftfy keeps it off for the rest of the text
            }
            out.append(fixSegment(segment, unescapeHtml));
            pos = end;
        }
        return out.toString();
    }

    private static boolean isPlain(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x7F || c == '&' || (c < 0x20 && c != '\t' && c != '\n' && c != '\f')) {
                return false;
            }
        }
        return true;
    }

    /** ftfy's {@code fix_and_explain} (without the explanation) on one segment. */
    static String fixSegment(String text, boolean unescapeHtml) {
        boolean unescape = unescapeHtml && text.indexOf('<') < 0;
        while (true) {
            String original = text;
            if (unescape) {
                text = unescapeHtml(text);
            }
            text = fixEncoding(text);
            text = fixC1Controls(text);
            text = translate(text, LIGATURES);
            text = translate(text, WIDTH);
            text = uncurlQuotes(text);
            text = fixLineBreaks(text);
            text = fixSurrogates(text);
            if (text.indexOf('\u001b') >= 0) {
                text = ANSI_ESCAPE.matcher(text).replaceAll("");
            }
            text = removeControlChars(text);
            text = nfc(text);
            if (text.equals(original)) {
                return text;
            }
        }
    }

    /**
     * ftfy's {@code unescape_html}: entities {@code &name;} from its table (HTML5 names ending in {@code ;}, and
     * upper-case forms of some), and numeric ones {@code &#...;} as {@code html.unescape} reads them when it
     * uses the whole reference up to the {@code ;}.
     */
    static String unescapeHtml(String text) {
        if (text.indexOf('&') < 0) {
            return text;
        }
        Matcher m = HTML_ENTITY.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (m.find()) {
            String entity = m.group();
            String value = ENTITIES.get(entity);
            if (value == null && entity.startsWith("&#")) {
                String unescaped = HtmlUnescape.unescape(entity);
                value = unescaped.indexOf(';') >= 0 ? entity : unescaped;
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value == null ? entity : value));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** ftfy's {@code fix_encoding}: {@link #fixEncodingStep} until the text stops changing. */
    static String fixEncoding(String text) {
        while (true) {
            String fixed = fixEncodingStep(text);
            if (fixed.equals(text)) {
                return fixed;
            }
            text = fixed;
        }
    }

    private static boolean isAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** One step of ftfy's {@code fix_encoding} ({@code _fix_encoding_one_step_and_explain}). */
    static String fixEncodingStep(String text) {
        if (text.isEmpty() || isAscii(text) || !FtfyBadness.isBad(text)) {
            return text;
        }
        List<FtfyCodecs.CodePage> possible = new ArrayList<>();
        for (FtfyCodecs.CodePage page : FtfyCodecs.CHARMAP_ENCODINGS) {
            if (!page.possible(text)) {
                continue;
            }
            possible.add(page);
            byte[] bytes = page.encode(text);
            // UTF-8 with spaces where bytes A0 belong; not for MacRoman, where an en dash + space would match.
            if (!page.name.equals("macroman") && FtfyCodecs.hasAlteredUtf8(bytes)) {
                bytes = FtfyCodecs.restoreByteA0(bytes);
            }
            if (page.sloppy) {
                bytes = FtfyCodecs.replaceLossySequences(bytes);
            }
            String fixed = FtfyCodecs.contains(bytes, 0xED) || FtfyCodecs.contains(bytes, 0xC0)
                    ? FtfyCodecs.utf8Variants(bytes)
                    : FtfyCodecs.utf8(bytes, 0, bytes.length);
            if (fixed != null) {
                return fixed;
            }
        }
        if (hasUtf8Run(text)) {
            String fixed = decodeInconsistentUtf8(text);
            if (!fixed.equals(text)) {
                return fixed;
            }
        }
        // Latin-1 that was meant as windows-1252. ftfy's test whether windows-1252 was possible too looks for a
        // name its list never holds ("windows-1252", not "sloppy-windows-1252"), so it never returns early here.
        if (possible.contains(FtfyCodecs.CHARMAP_ENCODINGS.get(0))) {
            String fixed = FtfyCodecs.WINDOWS_1252.decode(FtfyCodecs.CHARMAP_ENCODINGS.get(0).encode(text));
            if (fixed != null && !fixed.equals(text)) {
                return fixed;
            }
        }
        return fixC1Controls(text); // the text itself if it has no C1 control
    }

    /** ftfy's {@code decode_inconsistent_utf8}: fixes each UTF-8-looking run that is bad on its own. */
    static String decodeInconsistentUtf8(String text) {
        StringBuilder out = new StringBuilder(text.length());
        int copied = 0;
        int pos = 0;
        while (pos < text.length()) {
            int end = utf8RunAt(text, pos);
            if (end < 0) {
                pos += Character.charCount(text.codePointAt(pos));
                continue;
            }
            String run = text.substring(pos, end);
            if (run.length() < text.length() && FtfyBadness.isBad(run)) {
                out.append(text, copied, pos).append(fixEncoding(run));
                copied = end;
            }
            pos = end;
        }
        return copied == 0 ? text : out.append(text, copied, text.length()).toString();
    }

    /** Whether {@code UTF8_DETECTOR_RE} matches somewhere. */
    static boolean hasUtf8Run(String text) {
        for (int pos = 0; pos < text.length(); pos += Character.charCount(text.codePointAt(pos))) {
            if (utf8RunAt(text, pos) >= 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * The end of the {@code UTF8_DETECTOR_RE} match at {@code pos}, or -1: not after a strict continuation
     * character, then one or more of (first of 2, 1 continuation | first of 3, 2 | first of 4, 3), each time the
     * first of the three that fits, as the regex engine takes them.
     */
    private static int utf8RunAt(String text, int pos) {
        if (pos > 0 && UTF8_CONTINUATION_STRICT.contains(text.codePointBefore(pos))) {
            return -1;
        }
        int p = pos;
        while (p < text.length()) {
            int cp = text.codePointAt(p);
            int after = p + Character.charCount(cp);
            int end = -1;
            if (UTF8_FIRST_OF_2.contains(cp)) {
                end = continuations(text, after, 1);
            }
            if (end < 0 && UTF8_FIRST_OF_3.contains(cp)) {
                end = continuations(text, after, 2);
            }
            if (end < 0 && UTF8_FIRST_OF_4.contains(cp)) {
                end = continuations(text, after, 3);
            }
            if (end < 0) {
                break;
            }
            p = end;
        }
        return p > pos ? p : -1;
    }

    private static int continuations(String text, int pos, int count) {
        for (int k = 0; k < count; k++) {
            if (pos >= text.length()) {
                return -1;
            }
            int cp = text.codePointAt(pos);
            if (!UTF8_CONTINUATION.contains(cp)) {
                return -1;
            }
            pos += Character.charCount(cp);
        }
        return pos;
    }

    /** ftfy's {@code fix_c1_controls}: U+0080..U+009F become what those bytes are in windows-1252. */
    static String fixC1Controls(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80 && c <= 0x9F) {
                if (out == null) {
                    out = new StringBuilder(text.length()).append(text, 0, i);
                }
                out.append(FtfyCodecs.SLOPPY_WINDOWS_1252.decodeByte(c));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? text : out.toString();
    }

    private static CodePointSet keys(Map<String, String> a, Map<String, String> b) {
        java.util.TreeSet<Integer> cps = new java.util.TreeSet<>();
        a.keySet().forEach(k -> cps.add(k.codePointAt(0)));
        b.keySet().forEach(k -> cps.add(k.codePointAt(0)));
        int[] bounds = new int[cps.size() * 2];
        int i = 0;
        for (int cp : cps) {
            bounds[i++] = cp;
            bounds[i++] = cp;
        }
        return new CodePointSet(bounds);
    }

    private static Map<Integer, Integer> unknownMarks() {
        Map<Integer, Integer> marks = new java.util.HashMap<>();
        FtfyTables.map("nfc_placeholders").forEach((mark, placeholder) -> {
            if (!Character.isDefined(mark.codePointAt(0))) {
                marks.put(mark.codePointAt(0), placeholder.codePointAt(0));
            }
        });
        return Map.copyOf(marks);
    }

    /**
     * NFC as Python 3.11 (Unicode 14.0) computes it. The JVM's {@link Normalizer} treats a combining mark newer than
     * its Unicode data as a starter (combining class 0), which changes canonical order and composition around it.
     * Such marks are swapped for a mark of the same class that takes part in no composition, normalized, and put
     * back (marks of one class keep their relative order under canonical ordering, so the k-th placeholder is the
     * k-th mark). If the text already holds a placeholder, the JVM's NFC is used as it is.
     */
    static String nfc(String text) {
        if (NFC_PLACEHOLDERS.isEmpty()) {
            return Normalizer.normalize(text, Normalizer.Form.NFC);
        }
        StringBuilder swapped = null;
        Map<Integer, java.util.ArrayDeque<Integer>> replaced = null;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            Integer placeholder = NFC_PLACEHOLDERS.get(cp);
            if (placeholder != null) {
                if (swapped == null) {
                    swapped = new StringBuilder(text.length()).append(text, 0, i);
                    replaced = new java.util.HashMap<>();
                }
                replaced.computeIfAbsent(placeholder, k -> new java.util.ArrayDeque<>()).add(cp);
                swapped.appendCodePoint(placeholder);
            } else if (swapped != null) {
                swapped.appendCodePoint(cp);
            }
            i += Character.charCount(cp);
        }
        if (swapped == null) {
            return Normalizer.normalize(text, Normalizer.Form.NFC);
        }
        for (int placeholder : replaced.keySet()) {
            if (text.indexOf(new String(Character.toChars(placeholder))) >= 0) {
                return Normalizer.normalize(text, Normalizer.Form.NFC); // cannot tell them apart afterwards
            }
        }
        String normalized = Normalizer.normalize(swapped, Normalizer.Form.NFC);
        StringBuilder out = new StringBuilder(normalized.length());
        for (int i = 0; i < normalized.length(); ) {
            int cp = normalized.codePointAt(i);
            java.util.ArrayDeque<Integer> originals = replaced.get(cp);
            out.appendCodePoint(originals != null ? originals.poll() : cp);
            i += Character.charCount(cp);
        }
        return out.toString();
    }

    /** Python's {@code str.translate} with a map from single code points to strings. */
    private static String translate(String text, Map<String, String> table) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            String replacement = TRANSLATED.contains(cp) ? table.get(text.substring(i, next)) : null;
            if (replacement != null && out == null) {
                out = new StringBuilder(text.length()).append(text, 0, i);
            }
            if (out != null) {
                out.append(replacement != null ? replacement : text.substring(i, next));
            }
            i = next;
        }
        return out == null ? text : out.toString();
    }

    /** ftfy's {@code uncurl_quotes}: U+201C..U+201F become {@code "}, U+02BC and U+2018..U+201B {@code '}. */
    static String uncurlQuotes(String text) {
        char[] chars = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            char straight = c >= '\u201c' && c <= '\u201f' ? '"'
                    : c == '\u02bc' || (c >= '\u2018' && c <= '\u201b') ? '\'' : 0;
            if (straight != 0) {
                if (chars == null) {
                    chars = text.toCharArray();
                }
                chars[i] = straight;
            }
        }
        return chars == null ? text : new String(chars);
    }

    /** ftfy's {@code fix_line_breaks}: CRLF, CR, U+2028, U+2029 and U+0085 become LF. */
    static String fixLineBreaks(String text) {
        return text.replace("\r\n", "\n").replace('\r', '\n').replace('\u2028', '\n').replace('\u2029', '\n')
                .replace('\u0085', '\n');
    }

    /**
     * ftfy's {@code fix_surrogates}: surrogates not in a pair become U+FFFD (in a Java string a high surrogate
     * followed by a low one already is the character they encode).
     */
    static String fixSurrogates(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1));
            if (paired) {
                if (out != null) {
                    out.append(c).append(text.charAt(i + 1));
                }
                i++;
                continue;
            }
            if (Character.isSurrogate(c) && out == null) {
                out = new StringBuilder(text.length()).append(text, 0, i);
            }
            if (out != null) {
                out.append(Character.isSurrogate(c) ? '\uFFFD' : c);
            }
        }
        return out == null ? text : out.toString();
    }

    /** ftfy's {@code remove_control_chars}. */
    static String removeControlChars(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean drop = CONTROL_CHARS.contains(c); // all of them are in the BMP and none is a surrogate
            if (drop && out == null) {
                out = new StringBuilder(text.length()).append(text, 0, i);
            } else if (!drop && out != null) {
                out.append(c);
            }
        }
        return out == null ? text : out.toString();
    }
}
