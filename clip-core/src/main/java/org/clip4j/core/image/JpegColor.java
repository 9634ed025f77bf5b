package org.clip4j.core.image;

/**
 * libjpeg's integer YCbCr→RGB conversion ({@code jdcolor.c}: 16-bit fixed-point tables, results clamped to
 * 0..255), the conversion libjpeg-turbo applies when Pillow decodes a JPEG. ImageIO's own conversion would also
 * apply any embedded ICC profile, which Pillow ignores, so we convert the raw samples ourselves.
 */
final class JpegColor {
    private static final int SCALEBITS = 16;
    private static final int ONE_HALF = 1 << (SCALEBITS - 1);
    private static final int[] CR_R = new int[256];
    private static final int[] CB_B = new int[256];
    private static final int[] CR_G = new int[256];
    private static final int[] CB_G = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALEBITS;
            CB_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALEBITS;
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + ONE_HALF;   // the rounding half of the green sum is folded in here
        }
    }

    private JpegColor() {
    }

    private static int fix(double x) {
        return (int) (x * (1L << SCALEBITS) + 0.5);
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** In place: interleaved Y, Cb, Cr (stride {@code channels}, first three channels) to R, G, B. */
    static void yccToRgb(byte[] s, int channels) {
        for (int p = 0; p < s.length; p += channels) {
            int y = s[p] & 0xff;
            int cb = s[p + 1] & 0xff;
            int cr = s[p + 2] & 0xff;
            s[p] = (byte) clamp(y + CR_R[cr]);
            s[p + 1] = (byte) clamp(y + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS));
            s[p + 2] = (byte) clamp(y + CB_B[cb]);
        }
    }

    /**
     * In place: raw Adobe YCCK to the CMYK values Pillow holds. libjpeg turns YCCK into CMYK as
     * {@code 255 - RGB(Y, Cb, Cr)} (clamped) with K unchanged, and Pillow then inverts all four channels
     * ("CMYK;I", Adobe's inverted-CMYK convention), giving {@code (R, G, B, 255 - K)}.
     */
    static void ycckToPillowCmyk(byte[] s) {
        yccToRgb(s, 4);
        for (int p = 3; p < s.length; p += 4) s[p] = (byte) (255 - (s[p] & 0xff));
    }

    /** In place: raw Adobe CMYK (stored inverted) to the CMYK values Pillow holds ("CMYK;I"). */
    static void invert(byte[] s) {
        for (int i = 0; i < s.length; i++) s[i] = (byte) (255 - (s[i] & 0xff));
    }
}
