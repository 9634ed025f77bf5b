package org.clip4j.core.image;

import java.awt.image.Raster;

/**
 * Reads raster samples without any colour management (no gamma, no ICC conversion, no compositing), scaling
 * each band to 8 bits the way Pillow's unpackers do: 8-bit as is, 16-bit by keeping the high byte, 1/2/4-bit by
 * multiplying by 255, 85, 17 (in general {@code v * 255 / (2^bits - 1)}).
 */
final class RasterSamples {
    private RasterSamples() {
    }

    /** Bands {@code bands} of {@code raster}, scaled to 8 bits, interleaved {@code [H, W, bands.length]}. */
    static byte[] read8(Raster raster, int... bands) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        int nb = raster.getNumBands();
        int c = bands.length;
        int[] bits = new int[c];
        for (int i = 0; i < c; i++) bits[i] = raster.getSampleModel().getSampleSize(bands[i]);
        byte[] out = new byte[w * h * c];
        int[] row = new int[w * nb];
        int o = 0;
        for (int y = 0; y < h; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
            for (int x = 0; x < w; x++) {
                int base = x * nb;
                for (int i = 0; i < c; i++) out[o++] = (byte) to8(row[base + bands[i]], bits[i]);
            }
        }
        return out;
    }

    /** Band {@code band} of {@code raster} as unscaled ints, {@code [H, W]}. */
    static int[] readInts(Raster raster, int band) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        int[] out = new int[w * h];
        raster.getSamples(raster.getMinX(), raster.getMinY(), w, h, band, out);
        return out;
    }

    static int to8(int v, int bits) {
        if (bits == 8) return v & 0xff;
        if (bits > 8) return (v >>> (bits - 8)) & 0xff;
        return v * 255 / ((1 << bits) - 1);
    }
}
