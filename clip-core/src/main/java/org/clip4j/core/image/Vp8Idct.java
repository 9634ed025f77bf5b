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
        // vertical pass: column i of the input gives t{i}0..t{i}3
        int t00, t01, t02, t03, t10, t11, t12, t13, t20, t21, t22, t23, t30, t31, t32, t33;
        {
            int i0 = in[off], i4 = in[off + 4], i8 = in[off + 8], i12 = in[off + 12];
            int a = i0 + i8, b = i0 - i8, c = mul2(i4) - mul1(i12), d = mul1(i4) + mul2(i12);
            t00 = a + d; t01 = b + c; t02 = b - c; t03 = a - d;
        }
        {
            int i0 = in[off + 1], i4 = in[off + 5], i8 = in[off + 9], i12 = in[off + 13];
            int a = i0 + i8, b = i0 - i8, c = mul2(i4) - mul1(i12), d = mul1(i4) + mul2(i12);
            t10 = a + d; t11 = b + c; t12 = b - c; t13 = a - d;
        }
        {
            int i0 = in[off + 2], i4 = in[off + 6], i8 = in[off + 10], i12 = in[off + 14];
            int a = i0 + i8, b = i0 - i8, c = mul2(i4) - mul1(i12), d = mul1(i4) + mul2(i12);
            t20 = a + d; t21 = b + c; t22 = b - c; t23 = a - d;
        }
        {
            int i0 = in[off + 3], i4 = in[off + 7], i8 = in[off + 11], i12 = in[off + 15];
            int a = i0 + i8, b = i0 - i8, c = mul2(i4) - mul1(i12), d = mul1(i4) + mul2(i12);
            t30 = a + d; t31 = b + c; t32 = b - c; t33 = a - d;
        }
        // horizontal pass: output row i from t0i, t1i, t2i, t3i
        row(buf, dst, t00, t10, t20, t30);
        row(buf, dst + bps, t01, t11, t21, t31);
        row(buf, dst + 2 * bps, t02, t12, t22, t32);
        row(buf, dst + 3 * bps, t03, t13, t23, t33);
    }

    private static void row(byte[] buf, int p, int t0, int t1, int t2, int t3) {
        int dc = t0 + 4;
        int a = dc + t2;
        int b = dc - t2;
        int c = mul2(t1) - mul1(t3);
        int d = mul1(t1) + mul2(t3);
        buf[p] = clip8((buf[p] & 0xff) + ((a + d) >> 3));
        buf[p + 1] = clip8((buf[p + 1] & 0xff) + ((b + c) >> 3));
        buf[p + 2] = clip8((buf[p + 2] & 0xff) + ((b - c) >> 3));
        buf[p + 3] = clip8((buf[p + 3] & 0xff) + ((a - d) >> 3));
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
