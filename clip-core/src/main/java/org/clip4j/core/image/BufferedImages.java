package org.clip4j.core.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Turns a {@link BufferedImage} into a {@link DecodedImage} in the mode Pillow would most likely have used,
 * reading raster samples directly (drawing a gray image into an RGB image would apply a gamma conversion).
 */
final class BufferedImages {
    private BufferedImages() {
    }

    /**
     * Palette images (IndexColorModel) become P with the colour map as palette (and its alphas as transparency if
     * it has any); gray becomes L (LA with alpha, I when 16-bit); sRGB component images become RGB or RGBA from the
     * raw samples; anything else (premultiplied, other colour spaces) goes through {@link BufferedImage#getRGB}.
     */
    static DecodedImage toDecoded(BufferedImage image) {
        ColorModel cm = image.getColorModel();
        Raster raster = image.getRaster();
        int w = image.getWidth();
        int h = image.getHeight();
        if (cm instanceof IndexColorModel icm) {
            int k = Math.min(icm.getMapSize(), 256);
            byte[] palette = new byte[k * 3];   // [K, 3]
            byte[] alphas = icm.hasAlpha() ? new byte[k] : null;
            for (int i = 0; i < k; i++) {
                palette[3 * i] = (byte) icm.getRed(i);
                palette[3 * i + 1] = (byte) icm.getGreen(i);
                palette[3 * i + 2] = (byte) icm.getBlue(i);
                if (alphas != null) alphas[i] = (byte) icm.getAlpha(i);
            }
            int[] idx = RasterSamples.readInts(raster, 0);
            byte[] indices = new byte[idx.length];
            for (int i = 0; i < idx.length; i++) indices[i] = (byte) idx[i];
            return DecodedImage.wrapPalette(w, h, indices, palette, alphas);
        }
        ColorSpace cs = cm.getColorSpace();
        boolean premultiplied = cm.isAlphaPremultiplied();
        if (cs.getType() == ColorSpace.TYPE_GRAY && cm.getNumColorComponents() == 1 && !premultiplied) {
            if (cm.hasAlpha()) return DecodedImage.wrap(ImageMode.LA, w, h, RasterSamples.read8(raster, 0, 1));
            if (raster.getSampleModel().getSampleSize(0) == 16) {
                return DecodedImage.wrapInt32(w, h, RasterSamples.readInts(raster, 0));
            }
            return DecodedImage.wrap(ImageMode.L, w, h, RasterSamples.read8(raster, 0));
        }
        if (cs.isCS_sRGB() && cm.getNumColorComponents() == 3 && !premultiplied && raster.getNumBands() == cm.getNumComponents()) {
            return cm.hasAlpha()
                    ? DecodedImage.wrap(ImageMode.RGBA, w, h, RasterSamples.read8(raster, 0, 1, 2, 3))
                    : DecodedImage.wrap(ImageMode.RGB, w, h, RasterSamples.read8(raster, 0, 1, 2));
        }
        return viaGetRgb(image);
    }

    private static DecodedImage viaGetRgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        boolean alpha = image.getColorModel().hasAlpha();
        int c = alpha ? 4 : 3;
        byte[] out = new byte[w * h * c];
        int[] row = new int[w];
        int o = 0;
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);   // non-premultiplied sRGB ARGB
            for (int x = 0; x < w; x++) {
                int argb = row[x];
                out[o++] = (byte) (argb >> 16);
                out[o++] = (byte) (argb >> 8);
                out[o++] = (byte) argb;
                if (alpha) out[o++] = (byte) (argb >>> 24);
            }
        }
        return DecodedImage.wrap(alpha ? ImageMode.RGBA : ImageMode.RGB, w, h, out);
    }
}
