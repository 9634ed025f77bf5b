package org.clip4j.core.image;

/**
 * Pillow's BMP-specific choices ({@code BmpImagePlugin}) applied to what the ImageIO BMP reader returned:
 * <ul>
 *   <li>a palette whose entries are all gray {@code (i, i, i)} for index {@code i} (or black and white for two
 *       colours) is dropped: the image becomes L (1 for two colours), which changes how it is resized;</li>
 *   <li>32-bit BMPs without bit fields (BI_RGB) are RGB: Pillow ignores the fourth byte.</li>
 * </ul>
 */
final class BmpRules {
    private static final int BI_RGB = 0;

    private BmpRules() {
    }

    static DecodedImage apply(DecodedImage image, byte[] file) {
        if (image.mode() == ImageMode.P && isGrayPalette(image.rawPalette())) {
            byte[] s = image.rawSamples().clone();
            boolean bilevel = image.paletteSize() == 2;
            if (bilevel) {
                for (int i = 0; i < s.length; i++) s[i] = s[i] != 0 ? (byte) 255 : 0;
            }
            return DecodedImage.wrap(bilevel ? ImageMode.BILEVEL : ImageMode.L, image.width(), image.height(), s);
        }
        if (image.mode() == ImageMode.RGBA && compression(file) == BI_RGB) {
            byte[] s = image.rawSamples();
            byte[] rgb = new byte[s.length / 4 * 3];
            for (int p = 0, o = 0; p < s.length; p += 4) {
                rgb[o++] = s[p];
                rgb[o++] = s[p + 1];
                rgb[o++] = s[p + 2];
            }
            return DecodedImage.wrap(ImageMode.RGB, image.width(), image.height(), rgb);
        }
        return image;
    }

    private static boolean isGrayPalette(byte[] palette) {
        int k = palette.length / 3;
        for (int i = 0; i < k; i++) {
            int expected = k == 2 ? (i == 0 ? 0 : 255) : i;
            for (int c = 0; c < 3; c++) if ((palette[3 * i + c] & 0xff) != expected) return false;
        }
        return true;
    }

    /** The compression field of a BITMAPINFOHEADER (or later) header, or -1 for older headers. */
    private static int compression(byte[] file) {
        if (file.length < 34) return -1;
        int headerSize = (file[14] & 0xff) | (file[15] & 0xff) << 8 | (file[16] & 0xff) << 16 | (file[17] & 0xff) << 24;
        if (headerSize < 40) return -1;
        return (file[30] & 0xff) | (file[31] & 0xff) << 8 | (file[32] & 0xff) << 16 | (file[33] & 0xff) << 24;
    }
}
