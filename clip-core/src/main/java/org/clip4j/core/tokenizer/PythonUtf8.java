package org.clip4j.core.tokenizer;

/**
 * Python's {@code bytes.decode("utf-8", errors="replace")}, for the tokenizer's {@code decode} and for reading
 * text input the way the reference does.
 *
 * <p>Each maximal ill-formed subpart becomes one U+FFFD (the Unicode "best practice"): a truncated but so far
 * valid sequence is one replacement, a byte that cannot continue it starts over. Java's own UTF-8 decoder differs
 * on encoded surrogates: for {@code ED A0 80} Python gives three U+FFFD ({@code ED} cannot be followed by
 * {@code A0}), Java two.
 */
public final class PythonUtf8 {
    private PythonUtf8() {
    }

    /** Decodes {@code bytes[0, length)}. */
    static String decode(byte[] bytes, int length) {
        StringBuilder out = new StringBuilder(length);
        decode(bytes, 0, length, out);
        return out.toString();
    }

    /**
     * Decodes {@code bytes[offset, offset + length)} as Python's {@code bytes.decode("utf-8", "replace")} does and
     * appends the text to {@code out}.
     *
     * @param bytes  the bytes
     * @param offset index of the first byte
     * @param length number of bytes
     * @param out    where the text goes
     * @return the number of U+FFFD written for ill-formed bytes (0 if the bytes are valid UTF-8)
     */
    public static int decode(byte[] bytes, int offset, int length, StringBuilder out) {
        int replaced = 0;
        int i = offset;
        int end = offset + length;
        while (i < end) {
            int b0 = bytes[i] & 0xFF;
            if (b0 < 0x80) {
                out.append((char) b0);
                i++;
                continue;
            }
            int need;
            int lo = 0x80;
            int hi = 0xBF;
            int cp;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
                cp = b0 & 0x1F;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                cp = b0 & 0x0F;
                if (b0 == 0xE0) {
                    lo = 0xA0;
                } else if (b0 == 0xED) {
                    hi = 0x9F; // no surrogates
                }
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                cp = b0 & 0x07;
                if (b0 == 0xF0) {
                    lo = 0x90;
                } else if (b0 == 0xF4) {
                    hi = 0x8F; // nothing above U+10FFFF
                }
            } else {
                out.append('\uFFFD'); // 0x80..0xC1, 0xF5..0xFF never start a sequence
                replaced++;
                i++;
                continue;
            }
            int j = i + 1;
            boolean complete = true;
            for (int k = 0; k < need; k++, j++) {
                int b = j < end ? bytes[j] & 0xFF : -1;
                // Only the first continuation byte has the narrowed range.
                if (b < (k == 0 ? lo : 0x80) || b > (k == 0 ? hi : 0xBF)) {
                    complete = false;
                    break;
                }
                cp = (cp << 6) | (b & 0x3F);
            }
            if (complete) {
                out.appendCodePoint(cp);
            } else {
                out.append('\uFFFD');
                replaced++;
            }
            i = j;
        }
        return replaced;
    }
}
