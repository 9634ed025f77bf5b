package org.clip4j.core.image;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The PNG chunks that decide how Pillow interprets the pixels (IHDR bit depth and colour type, PLTE with its true
 * number of entries, tRNS), read straight from the file bytes. ImageIO's PNG metadata pads the palette to a power
 * of two and reports gray/RGB images with tRNS as having alpha, so it cannot tell us what Pillow sees.
 *
 * @param width        IHDR width
 * @param height       IHDR height
 * @param bitDepth     IHDR bit depth (1, 2, 4, 8 or 16)
 * @param colorType    IHDR colour type (0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA)
 * @param palette      PLTE entries {@code [K, 3]}, or null
 * @param transparency tRNS payload, or null
 */
record PngHeader(int width, int height, int bitDepth, int colorType, byte[] palette, byte[] transparency) {
    static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    static boolean isPng(byte[] data) {
        return data.length >= 8 && Arrays.equals(data, 0, 8, SIGNATURE, 0, 8);
    }

    /** Parses the chunks before the first IDAT; {@code name} is used in error messages. */
    static PngHeader parse(byte[] data, String name) {
        if (!isPng(data)) throw new ImageDecodeException(name + ": not a PNG file (bad signature)");
        int pos = 8;
        int width = -1, height = -1, bitDepth = -1, colorType = -1;
        byte[] palette = null;
        byte[] transparency = null;
        boolean sawData = false;
        while (pos + 8 <= data.length) {
            long length = readUInt(data, pos);
            String type = new String(data, pos + 4, 4, StandardCharsets.ISO_8859_1);
            int start = pos + 8;
            if (length > data.length - start) {
                throw new ImageDecodeException(name + ": truncated PNG file (chunk " + type + " claims " + length
                        + " bytes, only " + (data.length - start) + " left)");
            }
            int len = (int) length;
            if (width < 0 && !type.equals("IHDR")) {
                throw new ImageDecodeException(name + ": corrupt PNG file (first chunk is " + type + ", expected IHDR)");
            }
            switch (type) {
                case "IHDR" -> {
                    if (len != 13) throw new ImageDecodeException(name + ": corrupt PNG file (IHDR has " + len + " bytes, expected 13)");
                    width = (int) Math.min(readUInt(data, start), Integer.MAX_VALUE);
                    height = (int) Math.min(readUInt(data, start + 4), Integer.MAX_VALUE);
                    bitDepth = data[start + 8] & 0xff;
                    colorType = data[start + 9] & 0xff;
                    checkIhdr(name, width, height, bitDepth, colorType);
                }
                case "PLTE" -> {
                    if (len % 3 != 0 || len == 0) {
                        throw new ImageDecodeException(name + ": corrupt PNG file (PLTE has " + len + " bytes, expected a positive multiple of 3)");
                    }
                    // Like Pillow, keep at most 256 entries.
                    palette = Arrays.copyOfRange(data, start, start + Math.min(len, 768));
                }
                case "tRNS" -> transparency = Arrays.copyOfRange(data, start, start + len);
                case "IDAT", "IEND" -> sawData = true;
                default -> { }
            }
            if (sawData) break;
            pos = start + len + 4;   // skip data and CRC
        }
        if (width < 0) throw new ImageDecodeException(name + ": truncated PNG file (no IHDR chunk)");
        if (!sawData) throw new ImageDecodeException(name + ": truncated PNG file (no image data before the end of the file)");
        if (colorType == 3 && palette == null) {
            throw new ImageDecodeException(name + ": corrupt PNG file (palette image without PLTE chunk)");
        }
        return new PngHeader(width, height, bitDepth, colorType, colorType == 3 ? palette : null, transparency);
    }

    private static void checkIhdr(String name, int width, int height, int bitDepth, int colorType) {
        if (width <= 0 || height <= 0) {
            throw new ImageDecodeException(name + ": corrupt PNG file (size " + width + "x" + height + ")");
        }
        boolean ok = switch (colorType) {
            case 0 -> bitDepth == 1 || bitDepth == 2 || bitDepth == 4 || bitDepth == 8 || bitDepth == 16;
            case 3 -> bitDepth == 1 || bitDepth == 2 || bitDepth == 4 || bitDepth == 8;
            case 2, 4, 6 -> bitDepth == 8 || bitDepth == 16;
            default -> false;
        };
        if (!ok) {
            throw new ImageDecodeException(name + ": unsupported PNG colour type " + colorType + " with bit depth " + bitDepth);
        }
    }

    private static long readUInt(byte[] b, int p) {
        return ((long) (b[p] & 0xff) << 24) | ((b[p + 1] & 0xff) << 16) | ((b[p + 2] & 0xff) << 8) | (b[p + 3] & 0xff);
    }
}
