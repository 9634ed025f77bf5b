package org.clip4j.core.image;

/**
 * The boolean entropy decoder of VP8 (RFC 6386 section 7), with libwebp 1.2.4's state layout: {@code range}
 * holds the interval size minus one (127..254 after normalisation), {@code value} the not yet consumed bits of
 * which the top 8 above {@code bits} are compared against the split.
 *
 * <p>Reading past the end of the partition does not throw: like libwebp, one zero byte is fed in and
 * {@link #eof()} becomes true; after that only zeros come. Callers check {@link #eof()} after each macroblock
 * and header, so a truncated stream ends the decode with an error instead of looping or reading out of bounds.
 */
final class Vp8BoolDecoder {
    private final byte[] buf;
    private final int end;
    private int pos;
    private long value;
    private int range = 255 - 1;
    private int bits = -8;
    private boolean eof;

    /** A decoder of {@code size} bytes of {@code buf} from {@code start} (clamped to the array). */
    Vp8BoolDecoder(byte[] buf, int start, int size) {
        this.buf = buf;
        this.pos = Math.min(start, buf.length);
        this.end = (int) Math.min((long) this.pos + Math.max(size, 0), buf.length);
        loadByte();
    }

    /** True once the decoder needed bits past the end of its data. */
    boolean eof() {
        return eof;
    }

    private void loadByte() {
        if (pos < end) {
            bits += 8;
            value = (value << 8) | (buf[pos++] & 0xff);
        } else if (!eof) {
            value <<= 8;
            bits += 8;
            eof = true;
        } else {
            bits = 0;
        }
    }

    /** One bit whose probability of being 0 is {@code prob} / 256. */
    int bit(int prob) {
        int r = range;
        if (bits < 0) loadByte();
        int pos = bits;
        int split = (r * prob) >>> 8;
        int v = (int) (value >>> pos);
        int bit;
        if (v > split) {
            r -= split;
            value -= (long) (split + 1) << pos;
            bit = 1;
        } else {
            r = split + 1;
            bit = 0;
        }
        // r is the new interval size (1..255): shift it back to 128..255.
        int shift = 7 ^ (31 - Integer.numberOfLeadingZeros(r));
        r <<= shift;
        bits -= shift;
        range = r - 1;
        return bit;
    }

    /** An unsigned {@code n}-bit literal, most significant bit first (each bit at probability 1/2). */
    int literal(int n) {
        int v = 0;
        while (n-- > 0) v |= bit(0x80) << n;
        return v;
    }

    /** An {@code n}-bit magnitude followed by a sign bit. */
    int signedLiteral(int n) {
        int v = literal(n);
        return bit(0x80) == 1 ? -v : v;
    }

    /** {@code v} with a sign read at probability 1/2 (libwebp's VP8GetSigned arithmetic, one shift per call). */
    int signed(int v) {
        if (bits < 0) loadByte();
        int pos = bits;
        int split = range >> 1;
        int val = (int) (value >>> pos);
        int mask = (split - val) >> 31; // -1 when the bit is 1
        bits -= 1;
        range = (range + mask) | 1;
        value -= (long) ((split + 1) & mask) << pos;
        return (v ^ mask) - mask;
    }
}
