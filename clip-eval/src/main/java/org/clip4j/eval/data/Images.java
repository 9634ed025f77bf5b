package org.clip4j.eval.data;

import java.awt.image.BufferedImage;

/** Small helpers that turn raw pixel planes into RGB {@link BufferedImage}s. */
final class Images {
    private Images() {
    }

    /** A grayscale image (row-major unsigned bytes from {@code offset}) as RGB with R = G = B. */
    static BufferedImage grayToRgb(byte[] pixels, int offset, int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int v = pixels[offset + y * width + x] & 0xff;
                img.setRGB(x, y, (v << 16) | (v << 8) | v);
            }
        }
        return img;
    }

    /** An image stored as three planes R, G, B (each row-major unsigned bytes), from {@code offset}. */
    static BufferedImage planesToRgb(byte[] pixels, int offset, int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int plane = width * height;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int p = offset + y * width + x;
                int r = pixels[p] & 0xff, g = pixels[p + plane] & 0xff, b = pixels[p + 2 * plane] & 0xff;
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }
}
