package org.clip4j.core.tokenizer;

/**
 * The reference's {@code bytes_to_unicode()}: a reversible map from the 256 byte values to 256 printable
 * characters, so that BPE can work on strings without whitespace or control characters.
 *
 * <p>The 188 bytes that are printable in Latin-1 ({@code !}..{@code ~}, {@code ¡}..{@code ¬},
 * {@code ®}..{@code ÿ}) map to themselves; the other 68 map, in increasing byte order, to U+0100, U+0101, ...
 * (so the space byte 0x20 becomes {@code Ġ} U+0120). The vocabulary lists the symbols in that order: first the
 * 188 printable bytes, then the 68 others, which is the order of {@link #byteAt(int)}.
 */
final class ByteLevel {
    private static final char[] SYMBOL = new char[256];
    private static final int[] ORDER = new int[256];
    private static final int[] BYTE_OF = new int[0x100 + 68];

    static {
        int position = 0;
        for (int b = 0; b < 256; b++) {
            if (isPrintable(b)) {
                SYMBOL[b] = (char) b;
                ORDER[position++] = b;
            }
        }
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            if (!isPrintable(b)) {
                SYMBOL[b] = (char) (0x100 + extra++);
                ORDER[position++] = b;
            }
        }
        java.util.Arrays.fill(BYTE_OF, -1);
        for (int b = 0; b < 256; b++) {
            BYTE_OF[SYMBOL[b]] = b;
        }
    }

    private ByteLevel() {
    }

    private static boolean isPrintable(int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }

    /** The symbol of byte {@code b} (0..255, i.e. the unsigned value). */
    static char symbol(int b) {
        return SYMBOL[b];
    }

    /** The byte at vocabulary position {@code position} (0..255) of the reference vocabulary. */
    static int byteAt(int position) {
        return ORDER[position];
    }

    /** The byte value (0..255) that {@code symbol} stands for, or -1 if it is not a byte symbol. */
    static int byteOf(char symbol) {
        return symbol < BYTE_OF.length ? BYTE_OF[symbol] : -1;
    }
}
