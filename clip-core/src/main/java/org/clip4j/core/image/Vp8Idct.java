package org.clip4j.core.image;

/**
 * The VP8 inverse DCT (RFC 6386 section 14.4) with libwebp 1.2.4's fixed-point factors: the result is added to
 * the predicted 4x4 pixels and clamped to 0..255.
 */
final class Vp8Idct {
    private Vp8Idct() {
    }

    /** x · (1 + 20091 / 65536): √2·cos(π/8) in 16-bit fixed point. */
    private static int mul1(int a) {
        return ((a * 20091) >> 16) + a;
    }

    /** x · 35468 / 65536: √2·sin(π/8) in 16-bit fixed point. */
    private static int mul2(int a) {
        return (a * 35468) >> 16;
    }

    private static byte clip8(int v) {
        return (byte) ((v & ~0xff) == 0 ? v : v < 0 ? 0 : 255);
    }

    /** Full transform of {@code in[off .. off + 15]} (raster order), added to {@code dst} (row stride {@code bps}). */
    static void full(short[] in, int off, byte[] buf, int dst, int bps) {
        int[] tmp = new int[16];
        for (int i = 0; i < 4; i++) { // vertical pass, one column per step
            int i0 = in[off + i], i4 = in[off + 4 + i], i8 = in[off + 8 + i], i12 = in[off + 12 + i];
            int a = i0 + i8;
            int b = i0 - i8;
            int c = mul2(i4) - mul1(i12);
            int d = mul1(i4) + mul2(i12);
            tmp[4 * i] = a + d;
            tmp[4 * i + 1] = b + c;
            tmp[4 * i + 2] = b - c;
            tmp[4 * i + 3] = a - d;
        }
        for (int i = 0; i < 4; i++) { // horizontal pass, one output row per step
            int dc = tmp[i] + 4;
            int a = dc + tmp[8 + i];
            int b = dc - tmp[8 + i];
            int c = mul2(tmp[4 + i]) - mul1(tmp[12 + i]);
            int d = mul1(tmp[4 + i]) + mul2(tmp[12 + i]);
            int row = dst + i * bps;
            buf[row] = clip8((buf[row] & 0xff) + ((a + d) >> 3));
            buf[row + 1] = clip8((buf[row + 1] & 0xff) + ((b + c) >> 3));
            buf[row + 2] = clip8((buf[row + 2] & 0xff) + ((b - c) >> 3));
            buf[row + 3] = clip8((buf[row + 3] & 0xff) + ((a - d) >> 3));
        }
    }

    /** Transform of a block whose only non-zero coefficient is the DC {@code dc}. */
    static void dcOnly(int dc, byte[] buf, int dst, int bps) {
        int add = (dc + 4) >> 3;
        for (int j = 0; j < 4; j++) {
            int row = dst + j * bps;
            for (int i = 0; i < 4; i++) buf[row + i] = clip8((buf[row + i] & 0xff) + add);
        }
    }
}
