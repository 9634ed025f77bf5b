package org.clip4j.core.image;

/**
 * What libjpeg needs to know to guess a JPEG's colour space (JFIF APP0, Adobe APP14 transform, the SOF component
 * ids), read from the markers before the first scan. Pillow lets libjpeg(-turbo) decide, so we apply libjpeg's
 * rules ({@code jdapimin.c}, {@code default_decompress_parms}) to the raw samples ImageIO gives us.
 *
 * @param width      SOF width
 * @param height     SOF height
 * @param colorSpace the colour space libjpeg assumes for the stored samples
 * @param components number of components in the frame
 */
record JpegHeader(int width, int height, ColorSpace colorSpace, int components) {

    /** The colour space of the stored (decoded but unconverted) samples. */
    enum ColorSpace { GRAY, YCBCR, RGB, CMYK, YCCK, UNKNOWN }

    static boolean isJpeg(byte[] data) {
        return data.length >= 3 && (data[0] & 0xff) == 0xFF && (data[1] & 0xff) == 0xD8 && (data[2] & 0xff) == 0xFF;
    }

    static JpegHeader parse(byte[] data, String name) {
        int pos = 2;
        boolean jfif = false;
        int adobeTransform = -1;
        while (true) {
            // Find the next marker (0xFF, optional 0xFF fill bytes, then the code).
            while (pos < data.length && (data[pos] & 0xff) != 0xFF) pos++;
            while (pos < data.length && (data[pos] & 0xff) == 0xFF) pos++;
            if (pos >= data.length) throw new ImageDecodeException(name + ": truncated JPEG file (no frame header)");
            int marker = data[pos++] & 0xff;
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;   // markers without a length
            if (marker == 0xD9 || marker == 0xDA) {
                throw new ImageDecodeException(name + ": corrupt JPEG file (no frame header before " + (marker == 0xDA ? "scan data" : "end of image") + ")");
            }
            if (pos + 2 > data.length) throw new ImageDecodeException(name + ": truncated JPEG file (in marker 0xFF" + Integer.toHexString(marker) + ")");
            int len = ((data[pos] & 0xff) << 8) | (data[pos + 1] & 0xff);
            int start = pos + 2;
            int payload = len - 2;
            if (len < 2 || start + payload > data.length) {
                throw new ImageDecodeException(name + ": truncated JPEG file (marker 0xFF" + Integer.toHexString(marker).toUpperCase() + " runs past the end)");
            }
            if (marker == 0xE0 && payload >= 14 && startsWith(data, start, "JFIF\0")) {
                jfif = true;
            } else if (marker == 0xEE && payload >= 12 && startsWith(data, start, "Adobe")) {
                adobeTransform = data[start + 11] & 0xff;
            } else if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
                if (payload < 6) throw new ImageDecodeException(name + ": corrupt JPEG file (frame header too short)");
                int height = ((data[start + 1] & 0xff) << 8) | (data[start + 2] & 0xff);
                int width = ((data[start + 3] & 0xff) << 8) | (data[start + 4] & 0xff);
                int n = data[start + 5] & 0xff;
                if (payload < 6 + 3 * n || n == 0) throw new ImageDecodeException(name + ": corrupt JPEG file (frame header with " + n + " components)");
                int[] ids = new int[n];
                for (int i = 0; i < n; i++) ids[i] = data[start + 6 + 3 * i] & 0xff;
                return new JpegHeader(width, height, guess(n, ids, jfif, adobeTransform), n);
            }
            pos = start + payload;
        }
    }

    /**
     * True if the markers lead to an end-of-image marker (EOI) before the data ends: marker segments are skipped
     * by their length, entropy-coded data byte by byte (in it, {@code 0xFF} is followed by a stuffed zero, a
     * restart marker or the next marker). False when the data ends first, which is when libjpeg warns "Premature
     * end of JPEG file" and pads the image, and when Pillow reports a truncated image. Bytes after the EOI are
     * ignored, as libjpeg does.
     */
    static boolean reachesEndOfImage(byte[] data) {
        int n = data.length;
        int pos = 2;
        while (pos < n) {
            if ((data[pos] & 0xff) != 0xFF) {   // entropy-coded data (or junk libjpeg skips with a warning)
                pos++;
                continue;
            }
            while (pos < n && (data[pos] & 0xff) == 0xFF) pos++;   // fill bytes
            if (pos >= n) return false;
            int marker = data[pos++] & 0xff;
            if (marker == 0xD9) return true;
            if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;   // no length
            if (pos + 2 > n) return false;
            int len = ((data[pos] & 0xff) << 8) | (data[pos + 1] & 0xff);
            if (len < 2) return false;
            pos += len;   // the segment; after SOS the entropy-coded data follows and is scanned above
        }
        return false;
    }

    /** libjpeg's colour-space guess. */
    private static ColorSpace guess(int n, int[] ids, boolean jfif, int adobeTransform) {
        switch (n) {
            case 1:
                return ColorSpace.GRAY;
            case 3:
                if (jfif) return ColorSpace.YCBCR;
                if (adobeTransform >= 0) return adobeTransform == 0 ? ColorSpace.RGB : ColorSpace.YCBCR;
                if (ids[0] == 'R' && ids[1] == 'G' && ids[2] == 'B') return ColorSpace.RGB;
                return ColorSpace.YCBCR;   // ids 1, 2, 3 or anything else
            case 4:
                if (adobeTransform >= 0) return adobeTransform == 0 ? ColorSpace.CMYK : ColorSpace.YCCK;
                return ColorSpace.CMYK;
            default:
                return ColorSpace.UNKNOWN;
        }
    }

    private static boolean startsWith(byte[] data, int pos, String s) {
        for (int i = 0; i < s.length(); i++) if ((data[pos + i] & 0xff) != s.charAt(i)) return false;
        return true;
    }
}
