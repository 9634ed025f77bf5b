package org.clip4j.core.image;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;

/**
 * Decodes still lossy WebP files (a "VP8 " chunk, alone or in an extended VP8X file with an optional "ALPH" alpha
 * chunk) to the samples Pillow 9.4 gives through libwebp 1.2.4: RGB, or RGBA when the VP8X header flags alpha or an
 * ALPH chunk is present (the chunk's values are used only with the flag, as libwebp's demuxer does). Colour comes from {@link Vp8Decoder} and {@link WebpYuvToRgb}; alpha is stored raw or as
 * a headerless VP8L (lossless) image whose green channel holds the alpha, then un-filtered (horizontal, vertical
 * or gradient prediction) as libwebp does. Decoder-side alpha dithering (off by default in libwebp) is not done.
 *
 * <p>An animation whose first frame is lossy gives that frame on its canvas, as Pillow shows an animated file.
 * Lossless (VP8L) files and animations that start with a lossless frame are not handled here:
 * {@link #isStillLossy} and {@link #isAnimatedLossy} say which files are.
 */
final class WebpLossy {
    private WebpLossy() {
    }

    /**
     * The chunks of a lossy file, as offsets into the file bytes: the VP8 (and ALPH) chunk of a still image, or of
     * an animation's first frame, which lies at (frameX, frameY) of the canvas ({@code animated}).
     */
    private record Layout(int vp8Offset, int vp8Size, int alphOffset, int alphSize, boolean alphaFlag,
                          int canvasWidth, int canvasHeight, boolean animated, int frameX, int frameY,
                          int frameWidth, int frameHeight) {
        Layout(int vp8Offset, int vp8Size, int alphOffset, int alphSize, boolean alphaFlag, int canvasWidth,
               int canvasHeight) {
            this(vp8Offset, vp8Size, alphOffset, alphSize, alphaFlag, canvasWidth, canvasHeight, false, 0, 0, -1, -1);
        }
    }

    /** Marks a lossy file whose VP8 chunk runs past the end, so that {@link #decode} reports it. */
    private static final Layout TRUNCATED = new Layout(-1, 0, -1, 0, false, -1, -1);

    private static boolean tag(byte[] d, int p, String t) {
        return p + 4 <= d.length && d[p] == t.charAt(0) && d[p + 1] == t.charAt(1) && d[p + 2] == t.charAt(2)
                && d[p + 3] == t.charAt(3);
    }

    private static long le32(byte[] d, int p) {
        return (d[p] & 0xffL) | (d[p + 1] & 0xffL) << 8 | (d[p + 2] & 0xffL) << 16 | (d[p + 3] & 0xffL) << 24;
    }

    private static int le24(byte[] d, int p) {
        return (d[p] & 0xff) | (d[p + 1] & 0xff) << 8 | (d[p + 2] & 0xff) << 16;
    }

    /**
     * True if {@code data} is a RIFF/WEBP file whose image is a single VP8 (lossy) frame: first chunk "VP8 ", or
     * "VP8X" without the animation flag followed (after optional chunks) by a "VP8 " chunk.
     */
    static boolean isStillLossy(byte[] data) {
        Layout l = layout(data, null);
        return l != null && !l.animated();
    }

    /**
     * True if {@code data} is an animated WebP whose first frame is lossy (a "VP8 " chunk in the first "ANMF"):
     * Pillow shows that frame, and this class decodes it as libwebp does (TwelveMonkeys' VP8 decoder differs by up
     * to 72 levels). Animations that start with a lossless frame are ImageIO's.
     */
    static boolean isAnimatedLossy(byte[] data) {
        Layout l = layout(data, null);
        return l != null && (l.animated() || l == TRUNCATED) && isAnimation(data);
    }

    private static boolean isAnimation(byte[] d) {
        return d.length >= 21 && tag(d, 12, "VP8X") && (d[20] & 0x02) != 0;
    }

    /** Parses the chunk layout; null when the file is not a still lossy WebP (errors only when {@code name} != null). */
    private static Layout layout(byte[] d, String name) {
        if (d.length < 20 || !tag(d, 0, "RIFF") || !tag(d, 8, "WEBP")) return null;
        long end = Math.min(d.length, le32(d, 4) + 8);
        int p = 12;
        if (tag(d, p, "VP8 ")) {
            long size = le32(d, p + 4);
            if (p + 8 + size > end) {
                if (name == null) return TRUNCATED;
                throw new ImageDecodeException(name + ": truncated WebP: VP8 chunk declares " + size + " bytes, "
                        + (end - p - 8) + " remain");
            }
            return new Layout(p + 8, (int) size, -1, 0, false, -1, -1);
        }
        if (!tag(d, p, "VP8X") || p + 18 > end) return null;
        long vp8xSize = le32(d, p + 4);
        int flags = d[p + 8] & 0xff;
        int canvasW = le24(d, p + 12) + 1;
        int canvasH = le24(d, p + 15) + 1;
        boolean alphaFlag = (flags & 0x10) != 0;
        long q = p + 8 + vp8xSize + (vp8xSize & 1);
        if ((flags & 0x02) != 0) return animationLayout(d, q, end, canvasW, canvasH, alphaFlag, name);
        Chunks c = imageChunks(d, q, end);
        if (c == null) return null;                                    // lossless: ImageIO's
        if (c.cutAt() >= 0) {
            if (name == null) return TRUNCATED;
            throw cut(name, "truncated WebP: ", d, c.cutAt(), end);
        }
        if (c.vp8Offset() < 0) { // an extended still file without its image chunk
            if (name == null) return TRUNCATED;
            throw new ImageDecodeException(name + ": truncated or incomplete WebP: no VP8 or VP8L image chunk after the VP8X header");
        }
        return new Layout(c.vp8Offset(), c.vp8Size(), c.alphOffset(), c.alphSize(), alphaFlag, canvasW, canvasH);
    }

    /**
     * The image chunks among the chunks that start at {@code from} and end by {@code end} (a still file's, or an
     * ANMF frame's sub-chunks): the first ALPH and the VP8 image ({@code vp8Offset} −1 if there is none), or where
     * a chunk runs past {@code end} ({@code cutAt}, else −1); null when the image is lossless (VP8L).
     */
    private record Chunks(int vp8Offset, int vp8Size, int alphOffset, int alphSize, int cutAt) {
    }

    private static Chunks imageChunks(byte[] d, long from, long end) {
        int alphOff = -1, alphSize = 0;
        for (long q = from; q + 8 <= end; ) {
            int at = (int) q;
            long size = le32(d, at + 4);
            if (tag(d, at, "VP8L")) return null;
            if (at + 8 + size > end) return new Chunks(-1, 0, alphOff, alphSize, at);
            if (tag(d, at, "VP8 ")) return new Chunks(at + 8, (int) size, alphOff, alphSize, -1);
            if (tag(d, at, "ALPH") && alphOff < 0) {
                alphOff = at + 8;
                alphSize = (int) size;
            }
            q = at + 8 + size + (size & 1);
        }
        return new Chunks(-1, 0, alphOff, alphSize, -1);
    }

    /** "NAME: PREFIXTAG chunk declares N bytes, M remain" for the chunk at {@code at} that runs past {@code end}. */
    private static ImageDecodeException cut(String name, String prefix, byte[] d, int at, long end) {
        return new ImageDecodeException(name + ": " + prefix + new String(d, at, 4,
                java.nio.charset.StandardCharsets.ISO_8859_1).strip() + " chunk declares " + le32(d, at + 4)
                + " bytes, " + (end - at - 8) + " remain");
    }

    /**
     * The layout of an animation's first frame: the chunks after the VP8X header (from q) up to the first "ANMF",
     * whose 16-byte header gives the frame's place (x/2, y/2 as 24-bit values), size (minus one) and timing, and
     * whose sub-chunks hold the frame's ALPH and VP8 data. Null when that frame is lossless (VP8L).
     */
    private static Layout animationLayout(byte[] d, long q, long end, int canvasW, int canvasH, boolean alphaFlag,
                                          String name) {
        while (q + 8 <= end) {
            int at = (int) q;
            long size = le32(d, at + 4);
            if (at + 8 + size > end) {
                if (name == null) return TRUNCATED;
                throw cut(name, "truncated WebP animation: ", d, at, end);
            }
            if (tag(d, at, "ANMF")) {
                if (size < 16) {
                    if (name == null) return TRUNCATED;
                    throw new ImageDecodeException(name + ": WebP ANMF chunk of " + size + " bytes, its header needs 16");
                }
                int x = 2 * le24(d, at + 8), y = 2 * le24(d, at + 11);
                int w = le24(d, at + 14) + 1, h = le24(d, at + 17) + 1;
                if ((long) x + w > canvasW || (long) y + h > canvasH) {
                    if (name == null) return TRUNCATED;
                    throw new ImageDecodeException(name + ": WebP animation frame " + w + "x" + h + " at (" + x + ", "
                            + y + ") does not fit the " + canvasW + "x" + canvasH + " canvas");
                }
                Chunks c = imageChunks(d, at + 24, at + 8 + size);
                if (c == null) return null;                            // a lossless first frame: ImageIO's
                if (c.cutAt() >= 0 || c.vp8Offset() < 0) {
                    if (name == null) return TRUNCATED;
                    if (c.cutAt() >= 0) throw cut(name, "truncated WebP animation frame: ", d, c.cutAt(), at + 8 + size);
                    throw new ImageDecodeException(name + ": WebP animation: the first frame has no VP8 or VP8L image chunk");
                }
                return new Layout(c.vp8Offset(), c.vp8Size(), c.alphOffset(), c.alphSize(), alphaFlag, canvasW, canvasH,
                        true, x, y, w, h);
            }
            q = at + 8 + size + (size & 1);
        }
        if (name == null) return TRUNCATED;
        throw new ImageDecodeException(name + ": WebP animation without frames (no ANMF chunk)");
    }

    /**
     * Decodes a file for which {@link #isStillLossy} or {@link #isAnimatedLossy} is true. Of an animation, the first
     * frame as libwebp's WebPAnimDecoder gives it to Pillow: a key frame decoded into a zero-filled canvas at its
     * offset (no blending), RGB or, with the alpha flag, RGBA.
     */
    static DecodedImage decode(byte[] data, String name) {
        Layout l = layout(data, name);
        if (l == null || l.vp8Offset() < 0) throw new ImageDecodeException(name + ": not a lossy WebP file");
        Vp8Decoder.Frame frame = Vp8Decoder.decode(data, l.vp8Offset(), l.vp8Size(), name);
        int w = frame.width();
        int h = frame.height();
        if (l.animated()) return firstFrame(data, l, frame, name);
        if (l.canvasWidth() >= 0 && (l.canvasWidth() != w || l.canvasHeight() != h)) {
            throw new ImageDecodeException(name + ": WebP canvas is " + l.canvasWidth() + "x" + l.canvasHeight()
                    + " but its VP8 frame is " + w + "x" + h);
        }
        // Pillow's mode comes from WebPGetFeatures (alpha flag or an ALPH chunk); the pixels from libwebp's demuxer,
        // which drops the ALPH chunk of a still image whose VP8X header lacks the alpha flag.
        boolean rgbaMode = l.alphaFlag() || l.alphOffset() >= 0;
        if (!rgbaMode) return DecodedImage.wrap(ImageMode.RGB, w, h, WebpYuvToRgb.convert(frame, 3));
        byte[] rgba = WebpYuvToRgb.convert(frame, 4);
        byte[] alpha = l.alphaFlag() && l.alphOffset() >= 0
                ? decodeAlpha(data, l.alphOffset(), l.alphSize(), w, h, name) : null;
        for (int i = 0, n = w * h; i < n; i++) rgba[4 * i + 3] = alpha == null ? (byte) 255 : alpha[i];
        return DecodedImage.wrap(ImageMode.RGBA, w, h, rgba);
    }

    /** The first frame of an animation on its canvas (see {@link #decode}). */
    private static DecodedImage firstFrame(byte[] data, Layout l, Vp8Decoder.Frame frame, String name) {
        int w = frame.width(), h = frame.height();
        if (w != l.frameWidth() || h != l.frameHeight()) {
            throw new ImageDecodeException(name + ": WebP ANMF frame is " + l.frameWidth() + "x" + l.frameHeight()
                    + " but its VP8 image is " + w + "x" + h);
        }
        int ch = l.alphaFlag() ? 4 : 3, cw = l.canvasWidth();
        byte[] pixels = WebpYuvToRgb.convert(frame, ch);
        if (ch == 4) {
            byte[] alpha = l.alphOffset() >= 0 ? decodeAlpha(data, l.alphOffset(), l.alphSize(), w, h, name) : null;
            for (int i = 0, n = w * h; i < n; i++) pixels[4 * i + 3] = alpha == null ? (byte) 255 : alpha[i];
        }
        if (w == cw && h == l.canvasHeight()) return DecodedImage.wrap(ch == 4 ? ImageMode.RGBA : ImageMode.RGB, w, h, pixels);
        byte[] canvas = new byte[cw * l.canvasHeight() * ch];                 // zero: transparent black
        for (int row = 0; row < h; row++) {
            System.arraycopy(pixels, row * w * ch, canvas, ((l.frameY() + row) * cw + l.frameX()) * ch, w * ch);
        }
        return DecodedImage.wrap(ch == 4 ? ImageMode.RGBA : ImageMode.RGB, cw, l.canvasHeight(), canvas);
    }

    // ---- alpha ----

    private static byte[] decodeAlpha(byte[] d, int off, int size, int w, int h, String name) {
        if (size <= 1) throw new ImageDecodeException(name + ": WebP ALPH chunk is empty");
        int header = d[off] & 0xff;
        int method = header & 3;
        int filter = (header >> 2) & 3;
        int preprocessing = (header >> 4) & 3;
        int reserved = header >> 6;
        if (method > 1 || preprocessing > 1 || reserved != 0) {
            throw new ImageDecodeException(name + ": WebP ALPH chunk has an invalid header byte 0x"
                    + Integer.toHexString(header) + " (compression " + method + ", pre-processing " + preprocessing + ")");
        }
        byte[] plane;
        if (method == 0) {
            if (size - 1 < (long) w * h) {
                throw new ImageDecodeException(name + ": WebP ALPH chunk holds " + (size - 1) + " bytes, a raw "
                        + w + "x" + h + " alpha plane needs " + ((long) w * h));
            }
            plane = java.util.Arrays.copyOfRange(d, off + 1, off + 1 + w * h);
        } else {
            plane = losslessAlpha(d, off + 1, size - 1, w, h, name);
        }
        unfilter(plane, w, h, filter);
        return plane;
    }

    /** libwebp's WebPUnfilters, row by row in place: each row is predicted from the previous output row. */
    private static void unfilter(byte[] a, int w, int h, int filter) {
        if (filter == 0) return;
        for (int y = 0; y < h; y++) {
            int row = y * w;
            int prev = row - w;
            if (y == 0 || filter == 1) { // horizontal (also the first row of every filter)
                int pred = y == 0 ? 0 : a[prev] & 0xff;
                for (int i = 0; i < w; i++) {
                    pred = (pred + a[row + i]) & 0xff;
                    a[row + i] = (byte) pred;
                }
            } else if (filter == 2) { // vertical
                for (int i = 0; i < w; i++) a[row + i] = (byte) (a[prev + i] + a[row + i]);
            } else { // gradient: clamp(left + top - top-left)
                int top = a[prev] & 0xff, topLeft = top, left = top;
                for (int i = 0; i < w; i++) {
                    top = a[prev + i] & 0xff;
                    int g = left + top - topLeft;
                    g = g < 0 ? 0 : Math.min(g, 255);
                    left = (a[row + i] + g) & 0xff;
                    topLeft = top;
                    a[row + i] = (byte) left;
                }
            }
        }
    }

    /**
     * Decodes a headerless VP8L stream of {@code w × h} (the lossless ALPH payload) by giving it the 5-byte VP8L
     * header (signature 0x2F, 14-bit width − 1, 14-bit height − 1, alpha flag 0, version 0; exactly 40 bits, so
     * the stream stays byte-aligned) and a RIFF wrapper, and reading it with the ImageIO WebP reader, whose
     * lossless decoder matches libwebp; the alpha values are the green channel.
     */
    private static byte[] losslessAlpha(byte[] d, int off, int size, int w, int h, String name) {
        int payload = 5 + size;
        int padded = payload + (payload & 1);
        byte[] file = new byte[20 + padded];
        put4(file, 0, "RIFF");
        putLe32(file, 4, 12 + padded);
        put4(file, 8, "WEBP");
        put4(file, 12, "VP8L");
        putLe32(file, 16, payload);
        file[20] = 0x2f;
        long bits = (long) (w - 1) | (long) (h - 1) << 14; // alpha_is_used 0, version 0
        putLe32(file, 21, bits);
        System.arraycopy(d, off, file, 25, size);
        BufferedImage image;
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(file))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new ImageDecodeException(name + ": no WebP reader for the lossless alpha plane");
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, false, true);
                image = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (ImageDecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodeException(name + ": corrupt lossless alpha (ALPH) data in WebP: " + e, e);
        }
        if (image.getWidth() != w || image.getHeight() != h) {
            throw new ImageDecodeException(name + ": lossless alpha plane decoded as " + image.getWidth() + "x"
                    + image.getHeight() + ", expected " + w + "x" + h);
        }
        byte[] plane = new byte[w * h];
        java.awt.image.ColorModel cm = image.getColorModel();
        if (!(cm instanceof java.awt.image.IndexColorModel) && !cm.isAlphaPremultiplied()
                && image.getRaster().getNumBands() >= 3) {
            int[] green = image.getRaster().getSamples(0, 0, w, h, 1, (int[]) null); // bands are R, G, B(, A)
            for (int i = 0; i < plane.length; i++) plane[i] = (byte) green[i];
        } else {
            int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < plane.length; i++) plane[i] = (byte) (argb[i] >> 8);
        }
        return plane;
    }

    private static void put4(byte[] b, int p, String t) {
        for (int i = 0; i < 4; i++) b[p + i] = (byte) t.charAt(i);
    }

    private static void putLe32(byte[] b, int p, long v) {
        for (int i = 0; i < 4; i++) b[p + i] = (byte) (v >>> (8 * i));
    }
}
