package org.clip4j.core.image;

/**
 * Pillow 9.4's {@code image.convert("RGB")} for every {@link ImageMode}, producing interleaved {@code [H, W, 3]}
 * uint8 samples:
 * <ul>
 *   <li>1, L: the value replicated to R, G and B; LA: the same, alpha dropped;</li>
 *   <li>RGBA: alpha dropped <em>without</em> compositing onto a background;</li>
 *   <li>P: palette lookup; indices at or beyond the palette size map to gray {@code (i, i, i)} (Pillow
 *       initialises unused palette entries to a gray ramp); transparency is ignored;</li>
 *   <li>I: the value clamped to 0..255 (so 16-bit PNG values above 255 become white, as in Pillow);</li>
 *   <li>CMYK: {@code R = 255 - k - round((255 - k)·c / 255)} etc., Pillow's {@code cmyk2rgb}.</li>
 * </ul>
 */
public final class RgbConversion {
    private RgbConversion() {
    }

    /** The RGB samples of {@code image}, {@code [H, W, 3]}. */
    public static byte[] toRgb(DecodedImage image) {
        int n = image.width() * image.height();
        byte[] out = new byte[n * 3];   // [H, W, 3]
        switch (image.mode()) {
            case RGB -> System.arraycopy(image.rawSamples(), 0, out, 0, out.length);
            case L, BILEVEL -> gray(image.rawSamples(), 1, out);
            case LA -> gray(image.rawSamples(), 2, out);
            case RGBA -> {
                byte[] s = image.rawSamples();
                for (int i = 0, p = 0, o = 0; i < n; i++, p += 4) {
                    out[o++] = s[p];
                    out[o++] = s[p + 1];
                    out[o++] = s[p + 2];
                }
            }
            case P -> {
                byte[] lut = paletteLookup(image.rawPalette());
                byte[] s = image.rawSamples();
                for (int i = 0, o = 0; i < n; i++, o += 3) System.arraycopy(lut, (s[i] & 0xff) * 3, out, o, 3);
            }
            case I -> {
                int[] s = image.rawIntSamples();
                for (int i = 0, o = 0; i < n; i++) {
                    byte v = (byte) Math.max(0, Math.min(255, s[i]));
                    out[o++] = v;
                    out[o++] = v;
                    out[o++] = v;
                }
            }
            case CMYK -> {
                byte[] s = image.rawSamples();
                for (int i = 0, p = 0, o = 0; i < n; i++, p += 4) {
                    int nk = 255 - (s[p + 3] & 0xff);
                    out[o++] = inkToRgb(s[p] & 0xff, nk);
                    out[o++] = inkToRgb(s[p + 1] & 0xff, nk);
                    out[o++] = inkToRgb(s[p + 2] & 0xff, nk);
                }
            }
        }
        return out;
    }

    private static void gray(byte[] s, int stride, byte[] out) {
        for (int p = 0, o = 0; p < s.length; p += stride) {
            byte v = s[p];
            out[o++] = v;
            out[o++] = v;
            out[o++] = v;
        }
    }

    private static byte inkToRgb(int ink, int nk) {
        int t = ink * nk + 128;
        int v = nk - (((t >> 8) + t) >> 8);   // MULDIV255
        return (byte) Math.max(0, Math.min(255, v));
    }

    /** A 256-entry RGB table: the palette, then the gray ramp Pillow leaves in unused entries. */
    static byte[] paletteLookup(byte[] palette) {
        byte[] lut = new byte[256 * 3];
        for (int i = 0; i < 256; i++) {
            lut[3 * i] = lut[3 * i + 1] = lut[3 * i + 2] = (byte) i;
        }
        System.arraycopy(palette, 0, lut, 0, Math.min(palette.length, lut.length));
        return lut;
    }
}
