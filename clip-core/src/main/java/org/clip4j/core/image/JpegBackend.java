package org.clip4j.core.image;

import org.clip4j.core.ClipException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;

/**
 * Which decoder {@link ImageDecoder} uses for JPEG files. Both give Pillow 9.4's samples bit for bit; libjpeg-turbo
 * (SIMD) is several times faster than the pure-Java ImageIO path.
 *
 * <p>Chosen once per process from the system property {@value #PROPERTY}:
 * <ul>
 *   <li>{@code auto} (default): {@link #TURBO} if libturbojpeg loads, else {@link #IMAGEIO};</li>
 *   <li>{@code turbo}: libturbojpeg, and every JPEG decode fails with the reason if it does not load;</li>
 *   <li>{@code imageio}: always the ImageIO path.</li>
 * </ul>
 * The choice is logged once at INFO.
 */
enum JpegBackend {
    /** libjpeg-turbo's TurboJPEG API through JNA ({@link TurboJpeg}). */
    TURBO,
    /** TwelveMonkeys' ImageIO reader (the JDK's libjpeg 6b) plus clip4j's libjpeg colour conversion. */
    IMAGEIO;

    /** The system property that selects the JPEG decoder: {@code auto}, {@code turbo} or {@code imageio}. */
    static final String PROPERTY = "clip4j.jpeg";

    private static final Logger LOG = LoggerFactory.getLogger(ImageDecoder.class);

    /** The process-wide choice, or the configuration error every JPEG decode reports. */
    record Choice(JpegBackend backend, String error) {
    }

    private static final class Holder {
        static final Choice CHOICE = choose(System.getProperty(PROPERTY, "auto"));
    }

    /** The configured backend; throws {@link ClipException} if the property is invalid or asks for a missing library. */
    static JpegBackend configured() {
        Choice c = Holder.CHOICE;
        if (c.error != null) throw new ClipException(c.error);
        return c.backend;
    }

    /** A one-line description of the configured JPEG decoder (or of why it cannot be used). */
    static String describeConfigured() {
        Choice c = Holder.CHOICE;
        return c.error != null ? "none: " + c.error : c.backend.describe();
    }

    String describe() {
        return this == TURBO ? "libjpeg-turbo (TurboJPEG API, " + TurboJpeg.libraryPath() + ")"
                : "ImageIO (TwelveMonkeys, the JDK's libjpeg 6b; pure Java colour conversion)";
    }

    /** The choice for the property value {@code value}, logged. */
    static Choice choose(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        String hint = "install libturbojpeg0 (Debian/Ubuntu) or libjpeg-turbo (Fedora: turbojpeg; Homebrew: jpeg-turbo), or put the library on jna.library.path";
        Choice c = switch (v) {
            case "auto", "" -> TurboJpeg.available() ? new Choice(TURBO, null) : new Choice(IMAGEIO, null);
            case "turbo" -> TurboJpeg.available() ? new Choice(TURBO, null)
                    : new Choice(null, "-D" + PROPERTY + "=turbo, but libturbojpeg cannot be loaded (" + TurboJpeg.failure()
                    + "): " + hint + ", or use -D" + PROPERTY + "=auto");
            case "imageio" -> new Choice(IMAGEIO, null);
            default -> new Choice(null, "-D" + PROPERTY + "=" + value + " is not a JPEG decoder: expected auto, turbo or imageio");
        };
        if (c.error != null) {
            LOG.error("JPEG decoder: {}", c.error);
        } else if (c.backend == IMAGEIO && !v.equals("imageio")) {
            LOG.info("JPEG decoder: {}; libturbojpeg not found ({}): {}, for JPEG decoding several times faster",
                    c.backend.describe(), TurboJpeg.failure(), hint);
        } else {
            LOG.info("JPEG decoder: {} (-D{}={})", c.backend.describe(), PROPERTY, v.isEmpty() ? "auto" : v);
        }
        return c;
    }
}
