package org.clip4j.core.image;

import java.util.Arrays;

/**
 * A decoded image with the raw samples the reference decoder (Pillow 9.4) would give: no gamma or colour-profile
 * conversion, alpha not composited, palette images kept as indices plus palette.
 *
 * <p>Samples are interleaved row-major {@code [H, W, C]} bytes (read unsigned), with {@code C =
 * mode.channels()}; mode {@link ImageMode#I} holds {@code [H, W]} 32-bit ints instead. Instances are immutable:
 * the public factories copy their arguments and the accessors return copies.
 */
public final class DecodedImage {
    private final ImageMode mode;
    private final int width;
    private final int height;
    private final byte[] samples;      // [H, W, C]; null for mode I
    private final int[] intSamples;    // [H, W]; only for mode I
    private final byte[] palette;      // [K, 3]; only for mode P
    private final byte[] transparency; // alpha per palette entry (e.g. PNG tRNS); only for mode P, may be null

    private DecodedImage(ImageMode mode, int width, int height, byte[] samples, int[] intSamples,
                         byte[] palette, byte[] transparency) {
        this.mode = mode;
        this.width = width;
        this.height = height;
        this.samples = samples;
        this.intSamples = intSamples;
        this.palette = palette;
        this.transparency = transparency;
    }

    /**
     * An 8-bit image of any mode except {@link ImageMode#P} and {@link ImageMode#I}; {@code samples} is
     * {@code [H, W, C]}. For {@link ImageMode#BILEVEL} every non-zero sample is stored as 255, as Pillow does.
     */
    public static DecodedImage of(ImageMode mode, int width, int height, byte[] samples) {
        if (mode == ImageMode.P || mode == ImageMode.I) {
            throw new IllegalArgumentException("mode " + mode + " needs DecodedImage." + (mode == ImageMode.P ? "palette" : "int32") + "(...)");
        }
        checkLength(mode, width, height, samples.length);
        byte[] copy = samples.clone();
        if (mode == ImageMode.BILEVEL) {
            for (int i = 0; i < copy.length; i++) if (copy[i] != 0) copy[i] = (byte) 255;
        }
        return new DecodedImage(mode, width, height, copy, null, null, null);
    }

    /**
     * A palette image: {@code indices} is {@code [H, W]}, {@code palette} is {@code [K, 3]} RGB with
     * 1 ≤ K ≤ 256, {@code transparency} (nullable) holds one alpha per palette entry (at most 256). Indices may
     * exceed K − 1: like Pillow, entry {@code i ≥ K} then stands for gray {@code (i, i, i)}.
     */
    public static DecodedImage palette(int width, int height, byte[] indices, byte[] palette, byte[] transparency) {
        checkLength(ImageMode.P, width, height, indices.length);
        checkPalette(palette, transparency);
        return new DecodedImage(ImageMode.P, width, height, indices.clone(), null, palette.clone(),
                transparency == null ? null : transparency.clone());
    }

    /** A mode {@link ImageMode#I} image (32-bit signed samples, {@code [H, W]}). */
    public static DecodedImage int32(int width, int height, int[] samples) {
        checkLength(ImageMode.I, width, height, samples.length);
        return new DecodedImage(ImageMode.I, width, height, null, samples.clone(), null, null);
    }

    // ---- package-private constructors without copies, for arrays this package just created ----

    static DecodedImage wrap(ImageMode mode, int width, int height, byte[] samples) {
        checkLength(mode, width, height, samples.length);
        return new DecodedImage(mode, width, height, samples, null, null, null);
    }

    static DecodedImage wrapPalette(int width, int height, byte[] indices, byte[] palette, byte[] transparency) {
        checkLength(ImageMode.P, width, height, indices.length);
        checkPalette(palette, transparency);
        return new DecodedImage(ImageMode.P, width, height, indices, null, palette, transparency);
    }

    static DecodedImage wrapInt32(int width, int height, int[] samples) {
        checkLength(ImageMode.I, width, height, samples.length);
        return new DecodedImage(ImageMode.I, width, height, null, samples, null, null);
    }

    /** The same mode, palette and transparency with other 8-bit pixels ({@code [h, w, C]}, not copied). */
    DecodedImage withSamples(int w, int h, byte[] newSamples) {
        checkLength(mode, w, h, newSamples.length);
        return new DecodedImage(mode, w, h, newSamples, null, palette, transparency);
    }

    private static void checkLength(ImageMode mode, int width, int height, int length) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        long expected = (long) width * height * mode.channels();
        if (expected != length) {
            throw new IllegalArgumentException("a " + width + "x" + height + " " + mode.pillowName() + " image needs "
                    + expected + " samples ([H, W, C] = [" + height + ", " + width + ", " + mode.channels() + "]), got " + length);
        }
    }

    private static void checkPalette(byte[] palette, byte[] transparency) {
        if (palette.length == 0 || palette.length % 3 != 0 || palette.length > 256 * 3) {
            throw new IllegalArgumentException("palette must hold 1 to 256 RGB entries ([K, 3]), got " + palette.length + " bytes");
        }
        if (transparency != null && transparency.length > 256) {
            throw new IllegalArgumentException("palette transparency must hold at most 256 alphas, got " + transparency.length);
        }
    }

    /** The mode (decides resampling and RGB conversion). */
    public ImageMode mode() {
        return mode;
    }

    /** Width in pixels. */
    public int width() {
        return width;
    }

    /** Height in pixels. */
    public int height() {
        return height;
    }

    /** Samples per pixel, {@code mode().channels()}. */
    public int channels() {
        return mode.channels();
    }

    /** A copy of the 8-bit samples, {@code [H, W, C]} (read unsigned); throws for mode {@link ImageMode#I}. */
    public byte[] samples() {
        if (samples == null) throw new IllegalStateException("mode I holds 32-bit samples, use intSamples()");
        return samples.clone();
    }

    /** A copy of the 32-bit samples of a mode {@link ImageMode#I} image, {@code [H, W]}; throws otherwise. */
    public int[] intSamples() {
        if (intSamples == null) throw new IllegalStateException("mode " + mode.pillowName() + " holds 8-bit samples, use samples()");
        return intSamples.clone();
    }

    /** Number of palette entries K (0 unless mode {@link ImageMode#P}). */
    public int paletteSize() {
        return palette == null ? 0 : palette.length / 3;
    }

    /** A copy of the palette, {@code [K, 3]} RGB; empty unless mode {@link ImageMode#P}. */
    public byte[] palette() {
        return palette == null ? new byte[0] : palette.clone();
    }

    /** A copy of the per-entry palette alphas (e.g. PNG tRNS), or null if there are none. */
    public byte[] transparency() {
        return transparency == null ? null : transparency.clone();
    }

    // ---- package-private views without copies ----

    byte[] rawSamples() {
        return samples;
    }

    int[] rawIntSamples() {
        return intSamples;
    }

    byte[] rawPalette() {
        return palette;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DecodedImage d && mode == d.mode && width == d.width && height == d.height
                && Arrays.equals(samples, d.samples) && Arrays.equals(intSamples, d.intSamples)
                && Arrays.equals(palette, d.palette) && Arrays.equals(transparency, d.transparency);
    }

    @Override
    public int hashCode() {
        int h = 31 * (31 * mode.hashCode() + width) + height;
        return 31 * h + (samples != null ? Arrays.hashCode(samples) : Arrays.hashCode(intSamples));
    }

    @Override
    public String toString() {
        return "DecodedImage[" + mode.pillowName() + " " + width + "x" + height
                + (palette != null ? ", palette of " + paletteSize() : "") + "]";
    }
}
