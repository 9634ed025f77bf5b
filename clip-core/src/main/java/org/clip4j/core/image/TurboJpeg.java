package org.clip4j.core.image;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * JPEG decoding through libjpeg-turbo's TurboJPEG API ({@code libturbojpeg.so.0}, Debian package
 * {@code libturbojpeg0}), called with JNA direct mapping. Pillow 9.4 decodes JPEGs with the same libjpeg-turbo
 * (2.1.5 on Debian bookworm, as {@code libjpeg.so.62}), so the samples are Pillow's as long as the decoder is
 * asked for what Pillow asks for:
 * <ul>
 *   <li>{@code flags = 0}: the accurate integer IDCT ({@code JDCT_ISLOW}) and fancy (triangular) chroma
 *       upsampling, libjpeg's defaults, which Pillow keeps;</li>
 *   <li>the output colour space Pillow's raw mode implies: {@code TJPF_GRAY} for L, {@code TJPF_RGB} for 3
 *       components (libjpeg guesses YCbCr or RGB from the JFIF/Adobe markers as it does for Pillow), and
 *       {@code TJPF_CMYK} for 4 components (YCCK converted to CMYK by libjpeg), then inverted as Pillow's
 *       {@code "CMYK;I"} raw mode does;</li>
 *   <li>full size: the requested width and height are the frame's, so no DCT scaling is applied.</li>
 * </ul>
 *
 * <p>The library is loaded on first use; {@link #available()} says whether that worked. TurboJPEG handles are not
 * thread-safe: a bounded pool of decompressors, each with a reusable native input and output buffer, is shared by
 * all threads (a decode borrows one, or makes a new one when the pool is empty). Thread-safe.
 */
final class TurboJpeg {
    /** Library names tried in order: the linker name (a -dev package or macOS), then Debian's runtime soname. */
    private static final String[] LIBRARY_NAMES = {"turbojpeg", "libturbojpeg.so.0"};

    // turbojpeg.h constants (stable since libjpeg-turbo 1.2; tjGetErrorCode since 2.0).
    private static final int TJPF_RGB = 0;
    private static final int TJPF_GRAY = 6;
    private static final int TJPF_CMYK = 11;
    private static final int TJERR_WARNING = 0;

    /** Output buffers larger than this are freed after the decode instead of being kept in the pool. */
    private static final long MAX_POOLED_BYTES = 32L << 20;

    private static final Binding BINDING = load();
    private static final BlockingQueue<Decompressor> POOL =
            new ArrayBlockingQueue<>(Math.max(2, Runtime.getRuntime().availableProcessors()));

    private TurboJpeg() {
    }

    /** The loaded library, or the reason why it could not be loaded. */
    private record Binding(String path, String failure) {
    }

    /** The TurboJPEG functions (JNA direct mapping: bound once, called without reflection). */
    private static final class Lib {
        static native Pointer tjInitDecompress();

        static native int tjDecompress2(Pointer handle, Pointer jpegBuf, NativeLong jpegSize, Pointer dstBuf,
                                        int width, int pitch, int height, int pixelFormat, int flags);

        static native Pointer tjGetErrorStr2(Pointer handle);

        static native int tjGetErrorCode(Pointer handle);

        static native int tjDestroy(Pointer handle);
    }

    private static Binding load() {
        StringBuilder failures = new StringBuilder();
        for (String name : LIBRARY_NAMES) {
            try {
                NativeLibrary lib = NativeLibrary.getInstance(name);
                Native.register(Lib.class, lib);
                Pointer probe = Lib.tjInitDecompress();
                if (probe == null) throw new IllegalStateException("tjInitDecompress() returned NULL");
                Lib.tjDestroy(probe);
                return new Binding(lib.getFile() != null ? lib.getFile().getPath() : name, null);
            } catch (LinkageError | RuntimeException e) {
                if (failures.length() > 0) failures.append("; ");
                failures.append(shortReason(e));
            }
        }
        return new Binding(null, failures.toString());
    }

    /** JNA's message without the class path it appends ("... not found in resource path (...)"). */
    private static String shortReason(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int cut = m.indexOf(": Native library");
        if (cut > 0) m = m.substring(0, cut);
        return m.length() > 200 ? m.substring(0, 200) + "..." : m;
    }

    /** True if libturbojpeg was loaded and works. */
    static boolean available() {
        return BINDING.failure == null;
    }

    /** The path of the loaded library (null if not available). */
    static String libraryPath() {
        return BINDING.path;
    }

    /** Why the library could not be loaded (null if it was). */
    static String failure() {
        return BINDING.failure;
    }

    /**
     * Decodes {@code data}, whose markers {@code header} describes (width, height and libjpeg's colour-space
     * guess, already checked against the pixel limit). A fatal libjpeg error, or a warning about a stream that
     * ends before its end-of-image marker, throws {@link ImageDecodeException}; other warnings ("Corrupt JPEG
     * data: ...") are tolerated, as Pillow does.
     */
    static DecodedImage decode(byte[] data, JpegHeader header, String name) {
        if (!available()) throw new IllegalStateException("libturbojpeg is not available: " + failure());
        int w = header.width();
        int h = header.height();
        ImageMode mode;
        int pixelFormat;
        switch (header.colorSpace()) {
            case GRAY -> { mode = ImageMode.L; pixelFormat = TJPF_GRAY; }
            case YCBCR, RGB -> { mode = ImageMode.RGB; pixelFormat = TJPF_RGB; }
            case CMYK, YCCK -> { mode = ImageMode.CMYK; pixelFormat = TJPF_CMYK; }
            default -> throw new IllegalArgumentException("no TurboJPEG pixel format for " + header.colorSpace());
        }
        int channels = mode.channels();
        long outBytes = (long) w * h * channels;
        if (outBytes > Integer.MAX_VALUE - 8) {
            throw new ImageDecodeException(name + ": a " + w + "x" + h + " " + mode.pillowName() + " image does not fit in one Java array");
        }
        Decompressor d = borrow();
        try {
            Pointer in = d.input(data.length);
            in.write(0, data, 0, data.length);
            Pointer out = d.output(outBytes);
            int rc = Lib.tjDecompress2(d.handle, in, new NativeLong(data.length), out, w, w * channels, h, pixelFormat, 0);
            if (rc != 0) {
                String message = errorMessage(d.handle);
                if (Lib.tjGetErrorCode(d.handle) != TJERR_WARNING) {
                    throw new ImageDecodeException(name + ": corrupt JPEG file (libjpeg-turbo: " + message + ")");
                }
                // libjpeg pads a stream that ends early and only warns; Pillow reports "image file is truncated".
                // TurboJPEG keeps only the last warning's text, so look for the end-of-image marker ourselves.
                if (!JpegHeader.reachesEndOfImage(data)) {
                    throw new ImageDecodeException(name + ": truncated JPEG file (the data ends before the end-of-image marker; libjpeg-turbo: " + message + ")");
                }
                ImageDecoder.logWarning(name, message);
            }
            byte[] samples = new byte[(int) outBytes];   // [H, W, C]
            out.read(0, samples, 0, samples.length);
            if (mode == ImageMode.CMYK) JpegColor.invert(samples);   // Pillow's "CMYK;I" (Adobe convention)
            return DecodedImage.wrap(mode, w, h, samples);
        } finally {
            giveBack(d);
        }
    }

    private static String errorMessage(Pointer handle) {
        Pointer s = Lib.tjGetErrorStr2(handle);
        return s == null ? "unknown error" : s.getString(0).trim();
    }

    private static Decompressor borrow() {
        Decompressor d = POOL.poll();
        return d != null ? d : new Decompressor();
    }

    private static void giveBack(Decompressor d) {
        d.shrink();
        if (!POOL.offer(d)) d.close();
    }

    /** A TurboJPEG decompressor with native input and output buffers that grow as needed. Not thread-safe. */
    private static final class Decompressor {
        final Pointer handle;
        private long inPeer;
        private long inCapacity;
        private long outPeer;
        private long outCapacity;

        Decompressor() {
            handle = Lib.tjInitDecompress();
            if (handle == null) throw new IllegalStateException("tjInitDecompress() returned NULL (out of memory?)");
        }

        Pointer input(long bytes) {
            if (bytes > inCapacity) {
                free(inPeer);
                inCapacity = 0;
                inPeer = allocate(Math.max(bytes, 256L << 10));
                inCapacity = Math.max(bytes, 256L << 10);
            }
            return new Pointer(inPeer);
        }

        Pointer output(long bytes) {
            if (bytes > outCapacity) {
                free(outPeer);
                outCapacity = 0;
                outPeer = allocate(bytes);
                outCapacity = bytes;
            }
            return new Pointer(outPeer);
        }

        /** Frees buffers too large to keep around between decodes. */
        void shrink() {
            if (outCapacity > MAX_POOLED_BYTES) {
                free(outPeer);
                outPeer = 0;
                outCapacity = 0;
            }
            if (inCapacity > MAX_POOLED_BYTES) {
                free(inPeer);
                inPeer = 0;
                inCapacity = 0;
            }
        }

        void close() {
            Lib.tjDestroy(handle);
            free(inPeer);
            free(outPeer);
            inPeer = outPeer = 0;
            inCapacity = outCapacity = 0;
        }

        private static long allocate(long bytes) {
            long peer = Native.malloc(bytes);
            if (peer == 0) throw new OutOfMemoryError("cannot allocate " + bytes + " bytes of native memory for JPEG decoding");
            return peer;
        }

        private static void free(long peer) {
            if (peer != 0) Native.free(peer);
        }
    }
}
