package org.clip4j.core.image;

/**
 * Converts a decoded VP8 frame to interleaved RGB or RGBA as libwebp 1.2.4 does for its default RGB(A) output:
 * "fancy" chroma upsampling (each output pixel mixes the four nearest chroma samples with weights 9/16, 3/16,
 * 3/16, 1/16, computed with libwebp's integer rounding; the first row, the last row of an even height and the
 * last column of an even width use 3/4, 1/4 between two samples) and the BT.601 limited-range YUV → RGB
 * conversion in libwebp's 14-bit fixed point ({@code VP8YUVToR/G/B}).
 */
final class WebpYuvToRgb {
    private WebpYuvToRgb() {
    }

    private static int multHi(int v, int coeff) {
        return (v * coeff) >> 8;
    }

    /** libwebp's VP8Clip8: value / 64 clamped to 0..255. */
    private static int clip8(int v) {
        return (v & ~16383) == 0 ? v >> 6 : v < 0 ? 0 : 255;
    }

    private static void put(byte[] out, int o, int y, int u, int v) {
        int yy = multHi(y, 19077);
        out[o] = (byte) clip8(yy + multHi(v, 26149) - 14234);
        out[o + 1] = (byte) clip8(yy - multHi(u, 6419) - multHi(v, 13320) + 8708);
        out[o + 2] = (byte) clip8(yy + multHi(u, 33050) - 17685);
    }

    /**
     * The frame's top-left {@code width × height} as {@code [H, W, channels]} bytes (channels 3 or 4; with 4 the
     * alpha byte is left 0 for the caller to fill).
     */
    static byte[] convert(Vp8Decoder.Frame f, int channels) {
        int w = f.width();
        int h = f.height();
        byte[] out = new byte[w * h * channels];
        int uvs = f.uvStride();
        // row 0: chroma row 0 against itself
        linePair(f, 0, -1, 0, 0, out, channels);
        for (int y = 1; y + 1 < h; y += 2) {
            int uvTop = (y - 1) >> 1;
            linePair(f, y, y + 1, uvTop * uvs, (uvTop + 1) * uvs, out, channels);
        }
        if ((h & 1) == 0 && h > 1) {
            int last = ((h >> 1) - 1) * uvs;
            linePair(f, h - 1, -1, last, last, out, channels);
        }
        return out;
    }

    /**
     * Upsamples one pair of output rows: {@code topRow} between chroma rows {@code topUv} (nearer, weight 3) and
     * {@code curUv} (weight 1); {@code bottomRow} (or −1 for none) with the weights swapped. libwebp's
     * UpsampleRgbaLinePair, per channel.
     */
    private static void linePair(Vp8Decoder.Frame f, int topRow, int bottomRow, int topUv, int curUv, byte[] out,
                                 int ch) {
        byte[] yp = f.y(), up = f.u(), vp = f.v();
        int w = f.width();
        int ys = f.yStride();
        int ty = topRow * ys;
        int by = bottomRow * ys;
        int to = topRow * w * ch;
        int bo = bottomRow * w * ch;
        boolean bottom = bottomRow >= 0;
        int tlU = up[topUv] & 0xff, tlV = vp[topUv] & 0xff;
        int lU = up[curUv] & 0xff, lV = vp[curUv] & 0xff;
        put(out, to, yp[ty] & 0xff, (3 * tlU + lU + 2) >> 2, (3 * tlV + lV + 2) >> 2);
        if (bottom) put(out, bo, yp[by] & 0xff, (3 * lU + tlU + 2) >> 2, (3 * lV + tlV + 2) >> 2);
        int lastPair = (w - 1) >> 1;
        for (int x = 1; x <= lastPair; x++) {
            int tU = up[topUv + x] & 0xff, tV = vp[topUv + x] & 0xff;
            int cU = up[curUv + x] & 0xff, cV = vp[curUv + x] & 0xff;
            int avgU = tlU + tU + lU + cU + 8;
            int avgV = tlV + tV + lV + cV + 8;
            int d12U = (avgU + 2 * (tU + lU)) >> 3, d12V = (avgV + 2 * (tV + lV)) >> 3;
            int d03U = (avgU + 2 * (tlU + cU)) >> 3, d03V = (avgV + 2 * (tlV + cV)) >> 3;
            int x0 = 2 * x - 1, x1 = 2 * x;
            put(out, to + x0 * ch, yp[ty + x0] & 0xff, (d12U + tlU) >> 1, (d12V + tlV) >> 1);
            put(out, to + x1 * ch, yp[ty + x1] & 0xff, (d03U + tU) >> 1, (d03V + tV) >> 1);
            if (bottom) {
                put(out, bo + x0 * ch, yp[by + x0] & 0xff, (d03U + lU) >> 1, (d03V + lV) >> 1);
                put(out, bo + x1 * ch, yp[by + x1] & 0xff, (d12U + cU) >> 1, (d12V + cV) >> 1);
            }
            tlU = tU;
            tlV = tV;
            lU = cU;
            lV = cV;
        }
        if ((w & 1) == 0) {
            int x = w - 1;
            put(out, to + x * ch, yp[ty + x] & 0xff, (3 * tlU + lU + 2) >> 2, (3 * tlV + lV + 2) >> 2);
            if (bottom) put(out, bo + x * ch, yp[by + x] & 0xff, (3 * lU + tlU + 2) >> 2, (3 * lV + tlV + 2) >> 2);
        }
    }
}
