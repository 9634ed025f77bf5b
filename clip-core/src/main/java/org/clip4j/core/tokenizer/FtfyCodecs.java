package org.clip4j.core.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The byte-level side of ftfy 6.3.1's {@code fix_encoding}: the single-byte code pages it re-encodes text in
 * (with its "sloppy" windows code pages, which decode the bytes windows leaves undefined to the code points of the
 * same number and byte 0x1A to U+FFFD), strict UTF-8 and its {@code utf-8-variants} decoder (CESU-8 surrogate
 * pairs and Java's {@code C0 80} for NUL), and the two byte repairs {@code restore_byte_a0} and
 * {@code replace_lossy_sequences}.
 *
 * <p>Byte patterns run as Java regexes over the bytes read as ISO-8859-1 characters (byte {@code b} is the char
 * {@code b}), with {@link Pattern#UNIX_LINES} so that {@code $} means what it means in Python: the end, or before
 * a final {@code \n}.
 */
final class FtfyCodecs {
    /** A single-byte code page as ftfy uses it: decoding table, its inverse, and the characters it can encode. */
    static final class CodePage {
        final String name;
        final boolean sloppy;
        private final int[] decode;
        private final byte[] encodeBmp = new byte[0x10000];
        private final boolean[] encodable = new boolean[0x10000];
        private final CodePointSet possible;

        CodePage(String name, boolean withPossibleSet) {
            this.name = name;
            this.sloppy = name.startsWith("sloppy");
            this.decode = FtfyTables.charmap(name);
            for (int b = 0; b < 256; b++) {
                if (decode[b] >= 0) {
                    encodeBmp[decode[b]] = (byte) b;
                    encodable[decode[b]] = true;
                }
            }
            this.possible = withPossibleSet ? FtfyTables.set("possible_" + name) : null;
        }

        /** ftfy's {@code possible_encoding}: whether every character of the text is one this code page produces. */
        boolean possible(String text) {
            for (int i = 0; i < text.length(); ) {
                int cp = text.codePointAt(i);
                if (!possible.contains(cp)) {
                    return false;
                }
                i += Character.charCount(cp);
            }
            return true;
        }

        /** {@code text.encode(name)}, for a text that {@link #possible} accepts. */
        byte[] encode(String text) {
            byte[] out = new byte[text.length()];
            for (int i = 0; i < out.length; i++) {
                char c = text.charAt(i);
                if (!encodable[c]) {
                    throw new IllegalStateException(name + " cannot encode U+" + Integer.toHexString(c));
                }
                out[i] = encodeBmp[c];
            }
            return out;
        }

        /** {@code bytes.decode(name)} with strict errors, or {@code null} if a byte is undefined. */
        String decode(byte[] bytes) {
            StringBuilder sb = new StringBuilder(bytes.length);
            for (byte b : bytes) {
                int cp = decode[b & 0xFF];
                if (cp < 0) {
                    return null;
                }
                sb.append((char) cp);
            }
            return sb.toString();
        }

        /** The character byte {@code b} decodes to. */
        char decodeByte(int b) {
            return (char) decode[b];
        }
    }

    /** ftfy's {@code CHARMAP_ENCODINGS}, in the order it tries them. */
    static final List<CodePage> CHARMAP_ENCODINGS = List.of(
            new CodePage("latin-1", true),
            new CodePage("sloppy-windows-1252", true),
            new CodePage("sloppy-windows-1251", true),
            new CodePage("sloppy-windows-1250", true),
            new CodePage("sloppy-windows-1253", true),
            new CodePage("sloppy-windows-1254", true),
            new CodePage("sloppy-windows-1257", true),
            new CodePage("iso-8859-2", true),
            new CodePage("macroman", true),
            new CodePage("cp437", true));
    /** Python's strict windows-1252 (five bytes undefined). */
    static final CodePage WINDOWS_1252 = new CodePage("windows-1252", false);
    static final CodePage SLOPPY_WINDOWS_1252 = CHARMAP_ENCODINGS.get(1);

    private static final int FLAGS = Pattern.UNIX_LINES;

    /** UTF-8 that would be valid if a byte A0 had not become a space (ftfy's {@code ALTERED_UTF8_RE}). */
    private static final Pattern ALTERED_UTF8 = Pattern.compile(
            "[\\xc2\\xc3\\xc5\\xce\\xd0\\xd9][ ]"
                    + "|[\\xe2\\xe3][ ][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf]"
                    + "|[\\xe0-\\xe3][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf][ ]"
                    + "|[\\xf0][ ][\\x80-\\xbf][\\x80-\\xbf]"
                    + "|[\\xf0][\\x80-\\xbf][ ][\\x80-\\xbf]"
                    + "|[\\xf0][\\x80-\\xbf][\\x80-\\xbf][ ]", FLAGS);
    /** "Ã " as a word of its own (à), except before the Portuguese words àquele, àquela, àquilo, às. */
    private static final Pattern A_GRAVE_WORD = Pattern.compile("\\xc3 (?! |quele|quela|quilo|s )", FLAGS);
    /** UTF-8 sequences with bytes lost to 0x1A (U+FFFD in a sloppy code page) or, once, to '?'. */
    private static final Pattern LOSSY_UTF8 = Pattern.compile(
            "[\\xc2-\\xdf][\\x1a]"
                    + "|[\\xc2-\\xc3][?]"
                    + "|\\xed[\\xa0-\\xaf][\\x1a?]\\xed[\\xb0-\\xbf][\\x1a?\\x80-\\xbf]"
                    + "|\\xed[\\xa0-\\xaf][\\x1a?\\x80-\\xbf]\\xed[\\xb0-\\xbf][\\x1a?]"
                    + "|[\\xe0-\\xef][\\x1a?][\\x1a\\x80-\\xbf]"
                    + "|[\\xe0-\\xef][\\x1a\\x80-\\xbf][\\x1a?]"
                    + "|[\\xf0-\\xf4][\\x1a?][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf]"
                    + "|[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a?][\\x1a\\x80-\\xbf]"
                    + "|[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf][\\x1a?]"
                    + "|\\x1a", FLAGS);
    /** A CESU-8 surrogate pair (six bytes), possibly cut by the end. */
    private static final String CESU8 =
            "\\xed([\\xa0-\\xaf]|$)([\\x80-\\xbf]|$)(\\xed|$)([\\xb0-\\xbf]|$)([\\x80-\\xbf]|$)";
    private static final Pattern CESU8_PAIR = Pattern.compile(CESU8, FLAGS);
    /** Where the utf-8-variants decoder leaves plain UTF-8: Java's NUL, a CESU-8 pair, an encoded surrogate. */
    private static final Pattern SPECIAL_BYTES = Pattern.compile(
            "(\\xc0(\\x80|$))|(" + CESU8 + ")|(\\xed([\\xa0-\\xbf]|$)([\\x80-\\xbf]|$))", FLAGS);

    private FtfyCodecs() {
    }

    private static String latin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /** Strict UTF-8 of {@code bytes[from, to)}, or {@code null} if they are not valid UTF-8. */
    static String utf8(byte[] bytes, int from, int to) {
        StringBuilder sb = new StringBuilder(to - from);
        return PythonUtf8.decode(bytes, from, to - from, sb) == 0 ? sb.toString() : null;
    }

    /** Whether the bytes contain {@code value}. */
    static boolean contains(byte[] bytes, int value) {
        for (byte b : bytes) {
            if ((b & 0xFF) == value) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code restore_byte_a0} could apply ({@code ALTERED_UTF8_RE.search}). */
    static boolean hasAlteredUtf8(byte[] bytes) {
        return ALTERED_UTF8.matcher(latin1(bytes)).find();
    }

    /**
     * ftfy's {@code restore_byte_a0}: puts back the byte A0 that some process turned into a space inside UTF-8
     * sequences; a lone "Ã " word becomes "à " first.
     */
    static byte[] restoreByteA0(byte[] bytes) {
        String s = A_GRAVE_WORD.matcher(latin1(bytes)).replaceAll("\u00c3\u00a0 ");
        Matcher m = ALTERED_UTF8.matcher(s);
        StringBuilder out = new StringBuilder(s.length());
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(m.group().replace(' ', '\u00a0')));
        }
        m.appendTail(out);
        return out.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** ftfy's {@code replace_lossy_sequences}: each lossy UTF-8 sequence becomes the UTF-8 of U+FFFD. */
    static byte[] replaceLossySequences(byte[] bytes) {
        String s = LOSSY_UTF8.matcher(latin1(bytes)).replaceAll("\u00ef\u00bf\u00bd");
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * ftfy's {@code utf-8-variants} decoder with strict errors: standard UTF-8, plus {@code C0 80} as NUL and
     * CESU-8 surrogate pairs as the characters they encode. Returns {@code null} where Python raises
     * {@code UnicodeDecodeError}.
     */
    static String utf8Variants(byte[] bytes) {
        String s = latin1(bytes);
        int n = bytes.length;
        Matcher special = SPECIAL_BYTES.matcher(s);
        Matcher pair = CESU8_PAIR.matcher(s);
        StringBuilder out = new StringBuilder(n);
        int pos = 0;
        while (pos < n) {
            special.region(pos, n);
            if (!special.find()) {
                return append(out, utf8(bytes, pos, n));
            }
            int cut = special.start();
            if (cut > pos) {
                if (append(out, utf8(bytes, pos, cut)) == null) {
                    return null;
                }
                pos = cut;
            } else if ((bytes[pos] & 0xFF) == 0xC0) {
                if (n - pos < 2) {
                    return null; // a lone C0 at the end
                }
                out.append('\u0000'); // two bytes, whatever the second (ftfy's rule; normally 80)
                pos += 2;
            } else if (n - pos < 6) {
                return append(out, utf8(bytes, pos, n));
            } else {
                pair.region(pos, n);
                if (!pair.lookingAt()) {
                    return null; // an encoded surrogate that is not half of a pair: invalid UTF-8
                }
                int codePoint = ((bytes[pos + 1] & 0x0F) << 16) + ((bytes[pos + 2] & 0x3F) << 10)
                        + ((bytes[pos + 4] & 0x0F) << 6) + (bytes[pos + 5] & 0x3F) + 0x10000;
                out.appendCodePoint(codePoint);
                pos += 6;
            }
        }
        return out.toString();
    }

    private static String append(StringBuilder out, String decoded) {
        return decoded == null ? null : out.append(decoded).toString();
    }
}
