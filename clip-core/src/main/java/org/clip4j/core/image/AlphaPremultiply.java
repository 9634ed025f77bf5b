package org.clip4j.core.image;

/**
 * Pillow's alpha premultiplication around a resize of an "RGBA" or "LA" image ({@code Image.resize} converts
 * RGBA→RGBa and LA→La, resamples every channel, and converts back). Resampling premultiplied colour stops fully
 * or partly transparent pixels from bleeding their (invisible) colour into visible neighbours.
 *
 * <p>Both work in place on interleaved {@code [H, W, C]} samples whose last channel is alpha.
 */
final class AlphaPremultiply {
    private AlphaPremultiply() {
    }

    /**
     * {@code c' = c·a / 255} rounded, computed as Pillow's {@code MULDIV255}: {@code t = c·a + 128},
     * {@code c' = ((t >> 8) + t) >> 8}, an exact integer form of {@code round(c·a / 255)}.
     */
    static void premultiply(byte[] samples, int channels) {
        for (int p = 0; p < samples.length; p += channels) {
            int a = samples[p + channels - 1] & 0xff;
            for (int c = 0; c < channels - 1; c++) {
                int t = (samples[p + c] & 0xff) * a + 128;
                samples[p + c] = (byte) (((t >> 8) + t) >> 8);
            }
        }
    }

    /**
     * The inverse, as Pillow's {@code rgba2rgbA}/{@code la2lA}: {@code c = min(255, 255·c' / a)} with integer
     * division for {@code 0 < a < 255}; samples with {@code a == 0} or {@code a == 255} are left unchanged (so colour
     * under fully transparent pixels is whatever the resampling produced, usually black).
     */
    static void unpremultiply(byte[] samples, int channels) {
        for (int p = 0; p < samples.length; p += channels) {
            int a = samples[p + channels - 1] & 0xff;
            if (a == 0 || a == 255) continue;
            for (int c = 0; c < channels - 1; c++) {
                samples[p + c] = (byte) Math.min(255, 255 * (samples[p + c] & 0xff) / a);
            }
        }
    }
}
