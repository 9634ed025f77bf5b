package org.clip4j.core.image;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Decodes image files into {@link DecodedImage}s holding the samples Pillow 9.4's {@code Image.open} would give,
 * using the ImageIO plugins on the class path (the JDK's PNG, GIF and BMP readers, TwelveMonkeys JPEG, BMP and
 * lossless WebP) and an own lossy WebP decoder:
 * <ul>
 *   <li>PNG: mode from the IHDR like Pillow: gray 1-bit → 1; 2/4/8-bit → L (scaled ×85/×17); 16-bit → I (raw);
 *       RGB → RGB; palette → P with the PLTE entries and tRNS; gray+alpha 8-bit → LA, 16-bit → RGBA; RGBA → RGBA.
 *       16-bit channels keep their high byte. tRNS of gray/RGB images is ignored (Pillow keeps it as info only).</li>
 *   <li>JPEG (baseline, progressive, arithmetic, gray, RGB, CMYK, YCCK): Pillow's own decoder, libjpeg-turbo,
 *       through its TurboJPEG API when {@code libturbojpeg} is installed, otherwise the raw samples from ImageIO
 *       (identical to libjpeg-turbo's ISLOW IDCT and fancy upsampling) converted with libjpeg's integer
 *       YCbCr→RGB (see {@link #jpegDecoder()}); both <em>ignore any embedded ICC profile</em> as Pillow does;
 *       4-component JPEGs become CMYK in Pillow's inverted-Adobe convention.</li>
 *   <li>Still lossy WebP (VP8, optionally with an ALPH alpha chunk): clip4j's own VP8 decoder, bit-exact with
 *       libwebp 1.2.4 as Pillow uses it (fancy chroma upsampling, libwebp's fixed-point YUV→RGB); RGB, or RGBA
 *       when the file declares alpha.</li>
 *   <li>Animated WebP whose first frame is lossy: that frame, decoded the same way into its canvas (Pillow shows
 *       the first frame).</li>
 *   <li>BMP, GIF, lossless WebP (still or animated) and anything else ImageIO reads: see {@link #fromBufferedImage}; BMPs
 *       with an all-gray palette become L (1 for two colours) and 32-bit BI_RGB BMPs drop their alpha, as in
 *       Pillow.</li>
 * </ul>
 * Gamma and ICC colour profiles are never applied and alpha is never composited.
 *
 * <p>Any failure (missing, empty, truncated or corrupt file, unknown format, more than {@link #MAX_PIXELS} pixels)
 * throws {@link ImageDecodeException} naming the file. Stateless and thread-safe.
 */
public final class ImageDecoder {
    private static final Logger LOG = LoggerFactory.getLogger(ImageDecoder.class);

    /** Largest accepted pixel count: Pillow's {@code DecompressionBombError} threshold, 2 × 89,478,485. */
    public static final long MAX_PIXELS = 2L * 89_478_485L;

    private static final String SUPPORTED = "PNG, JPEG, BMP, GIF or WebP";

    private ImageDecoder() {
    }

    /** Reads and decodes {@code file}. */
    public static DecodedImage read(Path file) {
        java.util.Objects.requireNonNull(file, "file");
        String name = file.toString();
        if (Files.isDirectory(file)) throw new ImageDecodeException(name + ": is a directory, expected an image file");
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ImageDecodeException(name + ": no such file, expected an image file", e);
        } catch (AccessDeniedException e) {
            throw new ImageDecodeException(name + ": permission denied, cannot read the image file", e);
        } catch (IOException | OutOfMemoryError e) {
            throw new ImageDecodeException(name + ": cannot read the image file: " + e, e);
        }
        return decode(data, name);
    }

    /** Decodes the encoded image {@code data}; {@code name} (e.g. the file name) is used in error messages. */
    public static DecodedImage decode(byte[] data, String name) {
        return decode(data, name, null);
    }

    /**
     * The JPEG decoder this process uses, chosen once from the system property {@code clip4j.jpeg}
     * ({@code auto}, the default: libjpeg-turbo if {@code libturbojpeg} loads, else ImageIO; {@code turbo};
     * {@code imageio}), e.g. {@code "libjpeg-turbo (TurboJPEG API, /usr/lib/x86_64-linux-gnu/libturbojpeg.so.0)"}.
     * Both give Pillow's samples; libjpeg-turbo is faster.
     */
    public static String jpegDecoder() {
        return JpegBackend.describeConfigured();
    }

    /** {@link #decode(byte[], String)} with JPEGs decoded by {@code jpegBackend} (null: the configured one). */
    static DecodedImage decode(byte[] data, String name, JpegBackend jpegBackend) {
        java.util.Objects.requireNonNull(data, "data");
        if (jpegBackend == null && JpegHeader.isJpeg(data)) jpegBackend = JpegBackend.configured();   // may throw a configuration error
        if (data.length == 0) throw new ImageDecodeException(name + ": empty file (0 bytes), expected a " + SUPPORTED + " image");
        try {
            if (PngHeader.isPng(data)) return decodePng(data, name);
            if (JpegHeader.isJpeg(data)) return decodeJpeg(data, name, jpegBackend);
            return decodeOther(data, name);
        } catch (ImageDecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Plugins throw IIOException, but also EOFException, IndexOutOfBounds, NegativeArraySize, NPE ... on bad data.
            throw new ImageDecodeException(name + ": corrupt or truncated " + formatOf(data) + " file: " + describe(e), e);
        }
    }

    /**
     * Converts an already decoded {@link BufferedImage}, reading its raster samples directly: IndexColorModel → P
     * (colour map as palette, its alphas as transparency); gray → L, LA with alpha, I when 16-bit; sRGB → RGB or
     * RGBA; other colour spaces and premultiplied images via {@link BufferedImage#getRGB} (sRGB, un-premultiplied).
     */
    public static DecodedImage fromBufferedImage(BufferedImage image) {
        if (image == null) throw new IllegalArgumentException("image is null");
        return BufferedImages.toDecoded(image);
    }

    // ---- formats ----

    private static DecodedImage decodePng(byte[] data, String name) throws IOException {
        PngHeader png = PngHeader.parse(data, name);
        checkPixels(name, png.width(), png.height());
        BufferedImage image = withReader(data, name, reader -> reader.read(0));
        Raster r = image.getRaster();
        int w = r.getWidth();
        int h = r.getHeight();
        if (w != png.width() || h != png.height()) {
            throw new ImageDecodeException(name + ": PNG decoder returned " + w + "x" + h + ", IHDR says " + png.width() + "x" + png.height());
        }
        int bands = r.getNumBands();
        int need = switch (png.colorType()) { case 2 -> 3; case 4 -> 2; case 6 -> 4; default -> 1; };
        if (bands < need) {
            throw new ImageDecodeException(name + ": PNG decoder returned " + bands + " bands, expected at least " + need
                    + " for colour type " + png.colorType());
        }
        return switch (png.colorType()) {
            case 0 -> png.bitDepth() == 16 ? DecodedImage.wrapInt32(w, h, RasterSamples.readInts(r, 0))
                    : DecodedImage.wrap(png.bitDepth() == 1 ? ImageMode.BILEVEL : ImageMode.L, w, h, RasterSamples.read8(r, 0));
            case 2 -> DecodedImage.wrap(ImageMode.RGB, w, h, RasterSamples.read8(r, 0, 1, 2));
            case 3 -> {
                int[] idx = RasterSamples.readInts(r, 0);
                byte[] indices = new byte[idx.length];
                for (int i = 0; i < idx.length; i++) indices[i] = (byte) idx[i];
                yield DecodedImage.wrapPalette(w, h, indices, png.palette(), png.transparency());
            }
            // Pillow 9.4 opens 16-bit gray+alpha as RGBA (rawmode "LA;16B").
            case 4 -> png.bitDepth() == 16 ? DecodedImage.wrap(ImageMode.RGBA, w, h, RasterSamples.read8(r, 0, 0, 0, 1))
                    : DecodedImage.wrap(ImageMode.LA, w, h, RasterSamples.read8(r, 0, 1));
            case 6 -> DecodedImage.wrap(ImageMode.RGBA, w, h, RasterSamples.read8(r, 0, 1, 2, 3));
            default -> throw new ImageDecodeException(name + ": unsupported PNG colour type " + png.colorType());
        };
    }

    private static DecodedImage decodeJpeg(byte[] data, String name, JpegBackend backend) throws IOException {
        JpegHeader jpeg = JpegHeader.parse(data, name);
        checkPixels(name, jpeg.width(), jpeg.height());
        if (jpeg.colorSpace() == JpegHeader.ColorSpace.UNKNOWN) {
            throw new ImageDecodeException(name + ": unsupported JPEG with " + jpeg.components() + " components (expected 1, 3 or 4)");
        }
        if (backend == JpegBackend.TURBO) return TurboJpeg.decode(data, jpeg, name);
        // readRaster gives the decoded samples before any colour conversion or ICC profile handling.
        Raster r = withReader(data, name, reader -> reader.readRaster(0, null));
        if (r.getNumBands() != jpeg.components()) {
            throw new ImageDecodeException(name + ": JPEG decoder returned " + r.getNumBands() + " bands, the frame has " + jpeg.components());
        }
        int w = r.getWidth();
        int h = r.getHeight();
        return switch (jpeg.colorSpace()) {
            case GRAY -> DecodedImage.wrap(ImageMode.L, w, h, RasterSamples.read8(r, 0));
            case RGB -> DecodedImage.wrap(ImageMode.RGB, w, h, RasterSamples.read8(r, 0, 1, 2));
            case YCBCR -> {
                byte[] s = RasterSamples.read8(r, 0, 1, 2);
                JpegColor.yccToRgb(s, 3);
                yield DecodedImage.wrap(ImageMode.RGB, w, h, s);
            }
            case CMYK -> {
                byte[] s = RasterSamples.read8(r, 0, 1, 2, 3);
                JpegColor.invert(s);
                yield DecodedImage.wrap(ImageMode.CMYK, w, h, s);
            }
            case YCCK -> {
                byte[] s = RasterSamples.read8(r, 0, 1, 2, 3);
                JpegColor.ycckToPillowCmyk(s);
                yield DecodedImage.wrap(ImageMode.CMYK, w, h, s);
            }
            case UNKNOWN -> throw new IllegalStateException();
        };
    }

    private static DecodedImage decodeOther(byte[] data, String name) throws IOException {
        if (isWebp(data)) {
            // libwebp (Pillow) refuses a file shorter than its RIFF size; TwelveMonkeys may decode the partial data.
            long riffSize = (data[4] & 0xffL) | (data[5] & 0xffL) << 8 | (data[6] & 0xffL) << 16 | (data[7] & 0xffL) << 24;
            if (riffSize + 8 > data.length) {
                throw new ImageDecodeException(name + ": truncated WebP file (RIFF header declares " + (riffSize + 8)
                        + " bytes, the file has " + data.length + ")");
            }
            // Lossy files (still, or an animation's first frame): our own VP8 decoder, bit-exact with libwebp
            // (TwelveMonkeys' is not).
            if (WebpLossy.isStillLossy(data) || WebpLossy.isAnimatedLossy(data)) return WebpLossy.decode(data, name);
        }
        String[] format = new String[1];
        BufferedImage image = withReader(data, name, reader -> {
            format[0] = reader.getFormatName().toLowerCase(Locale.ROOT);
            checkPixels(name, reader.getWidth(0), reader.getHeight(0));
            return reader.read(0);
        });
        DecodedImage decoded = BufferedImages.toDecoded(image);
        return format[0].equals("bmp") ? BmpRules.apply(decoded, data) : decoded;
    }

    // ---- plumbing ----

    /** Logs a tolerated decoder warning (libjpeg's "Corrupt JPEG data: ..." and the like) at DEBUG. */
    static void logWarning(String name, String warning) {
        LOG.debug("{}: decoder warning: {}", name, warning);
    }

    private interface ReaderAction<T> {
        T read(ImageReader reader) throws IOException;
    }

    /** Runs {@code action} with the first ImageIO reader for {@code data}; truncation warnings become errors. */
    private static <T> T withReader(byte[] data, String name, ReaderAction<T> action) throws IOException {
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(data))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new ImageDecodeException(name + ": unrecognised or unsupported image format (first bytes "
                        + hex(data, 8) + "), expected a " + SUPPORTED + " image");
            }
            ImageReader reader = readers.next();
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            try {
                reader.setInput(in, false, true);
                T result = action.read(reader);
                for (String warning : warnings) {
                    String lower = warning.toLowerCase(Locale.ROOT);
                    // libjpeg pads a truncated stream and only warns; Pillow reports "image file is truncated".
                    // Other libjpeg warnings ("Corrupt JPEG data: ...") are tolerated, as Pillow does.
                    if (lower.contains("truncated") || lower.contains("premature end of jpeg file")) {
                        throw new ImageDecodeException(name + ": truncated " + formatName(reader) + " file (" + warning + ")");
                    }
                    LOG.debug("{}: decoder warning: {}", name, warning);
                }
                return result;
            } finally {
                reader.dispose();
            }
        }
    }

    private static void checkPixels(String name, long width, long height) {
        if (width <= 0 || height <= 0) {
            throw new ImageDecodeException(name + ": invalid image size " + width + "x" + height);
        }
        if (width * height > MAX_PIXELS) {
            throw new ImageDecodeException(name + ": image is " + width + "x" + height + " = " + (width * height)
                    + " pixels, more than the limit of " + MAX_PIXELS + " (Pillow's decompression-bomb threshold)");
        }
    }

    private static String formatName(ImageReader reader) {
        try {
            return reader.getFormatName().toUpperCase(Locale.ROOT);
        } catch (IOException e) {
            return "image";
        }
    }

    private static boolean isWebp(byte[] data) {
        return data.length >= 12 && data[0] == 'R' && data[1] == 'I' && data[2] == 'F' && data[3] == 'F'
                && data[8] == 'W' && data[9] == 'E' && data[10] == 'B' && data[11] == 'P';
    }

    /** The format name for messages, from the file signature. */
    private static String formatOf(byte[] data) {
        if (PngHeader.isPng(data)) return "PNG";
        if (JpegHeader.isJpeg(data)) return "JPEG";
        if (isWebp(data)) return "WebP";
        if (data.length >= 4 && data[0] == 'G' && data[1] == 'I' && data[2] == 'F' && data[3] == '8') return "GIF";
        if (data.length >= 2 && data[0] == 'B' && data[1] == 'M') return "BMP";
        return "image";
    }

    private static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(e.getClass().getSimpleName());
        if (e.getMessage() != null) sb.append(": ").append(e.getMessage());
        Throwable cause = e.getCause();
        if (cause != null && cause != e && cause.getMessage() != null) sb.append(" (").append(cause.getMessage()).append(')');
        return sb.toString();
    }

    private static String hex(byte[] data, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(n, data.length); i++) {
            if (i > 0) sb.append(' ');
            sb.append(String.format("%02X", data[i] & 0xff));
        }
        return sb.toString();
    }
}
