package org.clip4j.core.image;

import java.util.Arrays;

/**
 * VP8 intra predictors (RFC 6386 section 12) as libwebp 1.2.4 computes them, writing into a work buffer of row
 * stride 32 whose row above and column to the left of the block hold the edge samples. Mode numbers follow
 * libwebp: 0 DC, 1 TM, 2 VE, 3 HE, 4 RD, 5 VR, 6 LD, 7 VL, 8 HD, 9 HU; for 16x16 and chroma 4, 5, 6 are DC without
 * the top row, without the left column, and without both.
 */
final class Vp8Predict {
    private static final int BPS = 32;

    private Vp8Predict() {
    }

    private static int at(byte[] b, int i) {
        return b[i] & 0xff;
    }

    private static byte avg3(int a, int b, int c) {
        return (byte) ((a + 2 * b + c + 2) >> 2);
    }

    private static byte avg2(int a, int b) {
        return (byte) ((a + b + 1) >> 1);
    }

    private static void fill(byte[] b, int dst, int size, int v) {
        for (int j = 0; j < size; j++) Arrays.fill(b, dst + j * BPS, dst + j * BPS + size, (byte) v);
    }

    /** TrueMotion: clamp(above + left − above-left). */
    private static void trueMotion(byte[] b, int dst, int size) {
        int top = dst - BPS;
        int corner = at(b, top - 1);
        for (int y = 0; y < size; y++) {
            int left = at(b, dst + y * BPS - 1) - corner;
            for (int x = 0; x < size; x++) {
                int v = at(b, top + x) + left;
                b[dst + y * BPS + x] = (byte) (v < 0 ? 0 : Math.min(v, 255));
            }
        }
    }

    private static void vertical(byte[] b, int dst, int size) {
        for (int j = 0; j < size; j++) System.arraycopy(b, dst - BPS, b, dst + j * BPS, size);
    }

    private static void horizontal(byte[] b, int dst, int size) {
        for (int j = 0; j < size; j++) Arrays.fill(b, dst + j * BPS, dst + j * BPS + size, b[dst + j * BPS - 1]);
    }

    /** DC of {@code size}x{@code size} (16 or 8) with {@code top} / {@code left} samples when available. */
    private static void dc(byte[] b, int dst, int size, boolean top, boolean left) {
        int shift = size == 16 ? 4 : 3;
        int sum = 0;
        if (top) for (int i = 0; i < size; i++) sum += at(b, dst - BPS + i);
        if (left) for (int j = 0; j < size; j++) sum += at(b, dst + j * BPS - 1);
        int v;
        if (top && left) v = (sum + size) >> (shift + 1);
        else if (top || left) v = (sum + (size >> 1)) >> shift;
        else v = 0x80;
        fill(b, dst, size, v);
    }

    /** 16x16 luma prediction. */
    static void luma16(int mode, byte[] b, int dst) {
        switch (mode) {
            case 0 -> dc(b, dst, 16, true, true);
            case 1 -> trueMotion(b, dst, 16);
            case 2 -> vertical(b, dst, 16);
            case 3 -> horizontal(b, dst, 16);
            case 4 -> dc(b, dst, 16, false, true);
            case 5 -> dc(b, dst, 16, true, false);
            case 6 -> dc(b, dst, 16, false, false);
            default -> throw new IllegalStateException("16x16 mode " + mode);
        }
    }

    /** 8x8 chroma prediction (same modes as 16x16). */
    static void chroma8(int mode, byte[] b, int dst) {
        switch (mode) {
            case 0 -> dc(b, dst, 8, true, true);
            case 1 -> trueMotion(b, dst, 8);
            case 2 -> vertical(b, dst, 8);
            case 3 -> horizontal(b, dst, 8);
            case 4 -> dc(b, dst, 8, false, true);
            case 5 -> dc(b, dst, 8, true, false);
            case 6 -> dc(b, dst, 8, false, false);
            default -> throw new IllegalStateException("chroma mode " + mode);
        }
    }

    private static void put(byte[] b, int dst, int x, int y, byte v) {
        b[dst + x + y * BPS] = v;
    }

    /** 4x4 luma prediction; the row above holds 8 samples (4 above, 4 above-right). */
    static void luma4(int mode, byte[] b, int dst) {
        int t = dst - BPS;
        switch (mode) {
            case 0 -> { // DC
                int sum = 4;
                for (int i = 0; i < 4; i++) sum += at(b, t + i) + at(b, dst + i * BPS - 1);
                fill(b, dst, 4, sum >> 3);
            }
            case 1 -> trueMotion(b, dst, 4);
            case 2 -> { // VE, smoothed
                byte[] v = new byte[4];
                for (int i = 0; i < 4; i++) v[i] = avg3(at(b, t + i - 1), at(b, t + i), at(b, t + i + 1));
                for (int j = 0; j < 4; j++) System.arraycopy(v, 0, b, dst + j * BPS, 4);
            }
            case 3 -> { // HE, smoothed
                int a = at(b, t - 1), bb = at(b, dst - 1), c = at(b, dst + BPS - 1);
                int d = at(b, dst + 2 * BPS - 1), e = at(b, dst + 3 * BPS - 1);
                Arrays.fill(b, dst, dst + 4, avg3(a, bb, c));
                Arrays.fill(b, dst + BPS, dst + BPS + 4, avg3(bb, c, d));
                Arrays.fill(b, dst + 2 * BPS, dst + 2 * BPS + 4, avg3(c, d, e));
                Arrays.fill(b, dst + 3 * BPS, dst + 3 * BPS + 4, avg3(d, e, e));
            }
            case 4 -> { // RD
                int i = at(b, dst - 1), j = at(b, dst + BPS - 1), k = at(b, dst + 2 * BPS - 1), l = at(b, dst + 3 * BPS - 1);
                int x = at(b, t - 1), a = at(b, t), bb = at(b, t + 1), c = at(b, t + 2), d = at(b, t + 3);
                put(b, dst, 0, 3, avg3(j, k, l));
                byte v = avg3(i, j, k);
                put(b, dst, 1, 3, v); put(b, dst, 0, 2, v);
                v = avg3(x, i, j);
                put(b, dst, 2, 3, v); put(b, dst, 1, 2, v); put(b, dst, 0, 1, v);
                v = avg3(a, x, i);
                put(b, dst, 3, 3, v); put(b, dst, 2, 2, v); put(b, dst, 1, 1, v); put(b, dst, 0, 0, v);
                v = avg3(bb, a, x);
                put(b, dst, 3, 2, v); put(b, dst, 2, 1, v); put(b, dst, 1, 0, v);
                v = avg3(c, bb, a);
                put(b, dst, 3, 1, v); put(b, dst, 2, 0, v);
                put(b, dst, 3, 0, avg3(d, c, bb));
            }
            case 5 -> { // VR
                int i = at(b, dst - 1), j = at(b, dst + BPS - 1), k = at(b, dst + 2 * BPS - 1);
                int x = at(b, t - 1), a = at(b, t), bb = at(b, t + 1), c = at(b, t + 2), d = at(b, t + 3);
                byte v = avg2(x, a);
                put(b, dst, 0, 0, v); put(b, dst, 1, 2, v);
                v = avg2(a, bb);
                put(b, dst, 1, 0, v); put(b, dst, 2, 2, v);
                v = avg2(bb, c);
                put(b, dst, 2, 0, v); put(b, dst, 3, 2, v);
                put(b, dst, 3, 0, avg2(c, d));
                put(b, dst, 0, 3, avg3(k, j, i));
                put(b, dst, 0, 2, avg3(j, i, x));
                v = avg3(i, x, a);
                put(b, dst, 0, 1, v); put(b, dst, 1, 3, v);
                v = avg3(x, a, bb);
                put(b, dst, 1, 1, v); put(b, dst, 2, 3, v);
                v = avg3(a, bb, c);
                put(b, dst, 2, 1, v); put(b, dst, 3, 3, v);
                put(b, dst, 3, 1, avg3(bb, c, d));
            }
            case 6 -> { // LD
                int[] s = new int[8];
                for (int n = 0; n < 8; n++) s[n] = at(b, t + n);
                put(b, dst, 0, 0, avg3(s[0], s[1], s[2]));
                byte v = avg3(s[1], s[2], s[3]);
                put(b, dst, 1, 0, v); put(b, dst, 0, 1, v);
                v = avg3(s[2], s[3], s[4]);
                put(b, dst, 2, 0, v); put(b, dst, 1, 1, v); put(b, dst, 0, 2, v);
                v = avg3(s[3], s[4], s[5]);
                put(b, dst, 3, 0, v); put(b, dst, 2, 1, v); put(b, dst, 1, 2, v); put(b, dst, 0, 3, v);
                v = avg3(s[4], s[5], s[6]);
                put(b, dst, 3, 1, v); put(b, dst, 2, 2, v); put(b, dst, 1, 3, v);
                v = avg3(s[5], s[6], s[7]);
                put(b, dst, 3, 2, v); put(b, dst, 2, 3, v);
                put(b, dst, 3, 3, avg3(s[6], s[7], s[7]));
            }
            case 7 -> { // VL
                int[] s = new int[8];
                for (int n = 0; n < 8; n++) s[n] = at(b, t + n);
                put(b, dst, 0, 0, avg2(s[0], s[1]));
                byte v = avg2(s[1], s[2]);
                put(b, dst, 1, 0, v); put(b, dst, 0, 2, v);
                v = avg2(s[2], s[3]);
                put(b, dst, 2, 0, v); put(b, dst, 1, 2, v);
                v = avg2(s[3], s[4]);
                put(b, dst, 3, 0, v); put(b, dst, 2, 2, v);
                put(b, dst, 0, 1, avg3(s[0], s[1], s[2]));
                v = avg3(s[1], s[2], s[3]);
                put(b, dst, 1, 1, v); put(b, dst, 0, 3, v);
                v = avg3(s[2], s[3], s[4]);
                put(b, dst, 2, 1, v); put(b, dst, 1, 3, v);
                v = avg3(s[3], s[4], s[5]);
                put(b, dst, 3, 1, v); put(b, dst, 2, 3, v);
                put(b, dst, 3, 2, avg3(s[4], s[5], s[6]));
                put(b, dst, 3, 3, avg3(s[5], s[6], s[7]));
            }
            case 8 -> { // HD
                int i = at(b, dst - 1), j = at(b, dst + BPS - 1), k = at(b, dst + 2 * BPS - 1), l = at(b, dst + 3 * BPS - 1);
                int x = at(b, t - 1), a = at(b, t), bb = at(b, t + 1), c = at(b, t + 2);
                byte v = avg2(i, x);
                put(b, dst, 0, 0, v); put(b, dst, 2, 1, v);
                v = avg2(j, i);
                put(b, dst, 0, 1, v); put(b, dst, 2, 2, v);
                v = avg2(k, j);
                put(b, dst, 0, 2, v); put(b, dst, 2, 3, v);
                put(b, dst, 0, 3, avg2(l, k));
                put(b, dst, 3, 0, avg3(a, bb, c));
                put(b, dst, 2, 0, avg3(x, a, bb));
                v = avg3(i, x, a);
                put(b, dst, 1, 0, v); put(b, dst, 3, 1, v);
                v = avg3(j, i, x);
                put(b, dst, 1, 1, v); put(b, dst, 3, 2, v);
                v = avg3(k, j, i);
                put(b, dst, 1, 2, v); put(b, dst, 3, 3, v);
                put(b, dst, 1, 3, avg3(l, k, j));
            }
            case 9 -> { // HU
                int i = at(b, dst - 1), j = at(b, dst + BPS - 1), k = at(b, dst + 2 * BPS - 1), l = at(b, dst + 3 * BPS - 1);
                put(b, dst, 0, 0, avg2(i, j));
                byte v = avg2(j, k);
                put(b, dst, 2, 0, v); put(b, dst, 0, 1, v);
                v = avg2(k, l);
                put(b, dst, 2, 1, v); put(b, dst, 0, 2, v);
                put(b, dst, 1, 0, avg3(i, j, k));
                v = avg3(j, k, l);
                put(b, dst, 3, 0, v); put(b, dst, 1, 1, v);
                v = avg3(k, l, l);
                put(b, dst, 3, 1, v); put(b, dst, 1, 2, v);
                byte lv = (byte) l;
                put(b, dst, 3, 2, lv); put(b, dst, 2, 2, lv);
                put(b, dst, 0, 3, lv); put(b, dst, 1, 3, lv); put(b, dst, 2, 3, lv); put(b, dst, 3, 3, lv);
            }
            default -> throw new IllegalStateException("4x4 mode " + mode);
        }
    }
}
