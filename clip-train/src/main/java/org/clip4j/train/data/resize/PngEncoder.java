package org.clip4j.train.data.resize;

import org.clip4j.core.image.DecodedImage;
import org.clip4j.core.image.ImageMode;
import org.clip4j.core.image.RgbConversion;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Encodes a {@link DecodedImage} as a PNG that {@link org.clip4j.core.image.ImageDecoder} (and Pillow 9.4) reads
 * back in the same mode with the same samples, as Pillow's {@code Image.save(..., "PNG")} would write it:
 * <ul>
 *   <li>1 → 1-bit gray; L → 8-bit gray; LA → gray + alpha; RGB → RGB; RGBA → RGBA (alpha not premultiplied);</li>
 *   <li>P → 8-bit palette with PLTE and, when the image has palette alphas, tRNS. Indices beyond the palette
 *       (which Pillow reads as gray {@code (i, i, i)}) get those gray entries appended, so they survive;</li>
 *   <li>I (16-bit gray PNGs) → 16-bit gray, samples clamped to 0..65535 as Pillow's {@code I;16B} packer does;</li>
 *   <li>CMYK, which PNG cannot hold, → RGB through Pillow's {@code convert("RGB")} ({@link RgbConversion}).</li>
 * </ul>
 * Rows are filtered with the usual heuristic (per row, the filter whose output has the least sum of absolute
 * signed bytes; none for palette and 1-bit images) and deflated at level 6. Stateless and thread-safe.
 */
public final class PngEncoder {
    private static final byte[] SIGNATURE = {(byte) 137, 'P', 'N', 'G', '\r', '\n', 26, '\n'};

    private PngEncoder() {
    }

    /** The PNG file bytes of {@code image}. */
    public static byte[] encode(DecodedImage image) {
        int w = image.width(), h = image.height();
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.writeBytes(SIGNATURE);
        byte[] raw;           // [H, rowBytes] unfiltered scanlines
        int colorType, bitDepth, bpp;
        boolean filter = true;
        switch (image.mode()) {
            case BILEVEL -> {
                colorType = 0; bitDepth = 1; bpp = 1; filter = false;
                raw = packBits(image.samples(), w, h);
            }
            case L -> { colorType = 0; bitDepth = 8; bpp = 1; raw = image.samples(); }
            case LA -> { colorType = 4; bitDepth = 8; bpp = 2; raw = image.samples(); }
            case RGB -> { colorType = 2; bitDepth = 8; bpp = 3; raw = image.samples(); }
            case RGBA -> { colorType = 6; bitDepth = 8; bpp = 4; raw = image.samples(); }
            case CMYK -> { colorType = 2; bitDepth = 8; bpp = 3; raw = RgbConversion.toRgb(image); }
            case I -> { colorType = 0; bitDepth = 16; bpp = 2; raw = sixteenBit(image.intSamples()); }
            case P -> { colorType = 3; bitDepth = 8; bpp = 1; filter = false; raw = image.samples(); }
            default -> throw new IllegalArgumentException("cannot encode mode " + image.mode().pillowName() + " as PNG");
        }
        byte[] ihdr = new byte[13];
        putInt(ihdr, 0, w);
        putInt(ihdr, 4, h);
        ihdr[8] = (byte) bitDepth;
        ihdr[9] = (byte) colorType;
        chunk(png, "IHDR", ihdr);
        if (image.mode() == ImageMode.P) paletteChunks(png, image, raw);
        int rowBytes = raw.length / h;
        chunk(png, "IDAT", deflate(filterRows(raw, h, rowBytes, bpp, filter)));
        chunk(png, "IEND", new byte[0]);
        return png.toByteArray();
    }

    /** PLTE (padded with Pillow's implicit grays up to the largest index or alpha used) and tRNS. */
    private static void paletteChunks(ByteArrayOutputStream png, DecodedImage image, byte[] indices) {
        byte[] palette = image.palette();
        byte[] alphas = image.transparency();
        int entries = palette.length / 3;
        for (byte b : indices) entries = Math.max(entries, (b & 0xff) + 1);
        if (alphas != null) entries = Math.max(entries, alphas.length);
        byte[] plte = new byte[entries * 3];
        System.arraycopy(palette, 0, plte, 0, palette.length);
        for (int i = palette.length / 3; i < entries; i++) {
            plte[3 * i] = plte[3 * i + 1] = plte[3 * i + 2] = (byte) i;
        }
        chunk(png, "PLTE", plte);
        if (alphas != null && alphas.length > 0) chunk(png, "tRNS", alphas);
    }

    /** 1-bit gray rows, most significant bit first, each row padded to whole bytes; a non-zero sample is white. */
    private static byte[] packBits(byte[] samples, int w, int h) {
        int rowBytes = (w + 7) / 8;
        byte[] out = new byte[rowBytes * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (samples[y * w + x] != 0) out[y * rowBytes + x / 8] |= (byte) (0x80 >>> (x % 8));
            }
        }
        return out;
    }

    /** Big-endian 16-bit samples, clamped to 0..65535. */
    private static byte[] sixteenBit(int[] samples) {
        byte[] out = new byte[samples.length * 2];
        for (int i = 0; i < samples.length; i++) {
            int v = Math.max(0, Math.min(65535, samples[i]));
            out[2 * i] = (byte) (v >>> 8);
            out[2 * i + 1] = (byte) v;
        }
        return out;
    }

    /**
     * Each row prefixed with its filter type: 0 (none) when {@code adaptive} is false, else the one of the five
     * PNG filters whose output has the least sum of absolute values read as signed bytes.
     */
    private static byte[] filterRows(byte[] raw, int h, int rowBytes, int bpp, boolean adaptive) {
        byte[] out = new byte[h * (rowBytes + 1)];
        byte[] candidate = new byte[rowBytes];
        byte[] best = new byte[rowBytes];
        for (int y = 0; y < h; y++) {
            int cur = y * rowBytes, prev = cur - rowBytes;   // prev < 0: the row above is all zeros
            int o = y * (rowBytes + 1);
            if (!adaptive) {
                System.arraycopy(raw, cur, out, o + 1, rowBytes);
                continue;
            }
            long bestSum = Long.MAX_VALUE;
            int bestType = 0;
            for (int type = 0; type <= 4; type++) {
                long sum = 0;
                for (int i = 0; i < rowBytes; i++) {
                    int x = raw[cur + i] & 0xff;
                    int a = i >= bpp ? raw[cur + i - bpp] & 0xff : 0;
                    int b = prev >= 0 ? raw[prev + i] & 0xff : 0;
                    int c = i >= bpp && prev >= 0 ? raw[prev + i - bpp] & 0xff : 0;
                    int predictor = switch (type) {
                        case 0 -> 0;
                        case 1 -> a;
                        case 2 -> b;
                        case 3 -> (a + b) >>> 1;
                        default -> paeth(a, b, c);
                    };
                    byte v = (byte) (x - predictor);
                    candidate[i] = v;
                    sum += Math.abs(v);
                }
                if (sum < bestSum) {
                    bestSum = sum;
                    bestType = type;
                    System.arraycopy(candidate, 0, best, 0, rowBytes);
                }
            }
            out[o] = (byte) bestType;
            System.arraycopy(best, 0, out, o + 1, rowBytes);
        }
        return out;
    }

    private static int paeth(int a, int b, int c) {
        int p = a + b - c;
        int pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static byte[] deflate(byte[] data) {
        Deflater d = new Deflater(6);
        try {
            d.setInput(data);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, data.length / 4));
            byte[] buf = new byte[1 << 16];
            while (!d.finished()) out.write(buf, 0, d.deflate(buf));
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    private static void chunk(ByteArrayOutputStream png, String type, byte[] data) {
        byte[] head = new byte[8];
        putInt(head, 0, data.length);
        System.arraycopy(type.getBytes(StandardCharsets.US_ASCII), 0, head, 4, 4);
        png.write(head, 0, 8);
        png.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(head, 4, 4);
        crc.update(data);
        byte[] tail = new byte[4];
        putInt(tail, 0, (int) crc.getValue());
        png.writeBytes(tail);
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
