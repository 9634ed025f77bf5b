package org.clip4j.core.image;

/**
 * Pixel layout of a {@link DecodedImage}, named after the Pillow image mode that the reference decoder (Pillow 9.4)
 * gives for the same file. The mode decides how Pillow resizes the image (see {@link PillowResize}) and how
 * {@code convert("RGB")} turns it into RGB (see {@link RgbConversion}).
 */
public enum ImageMode {
    /** Pillow "1": bilevel, stored as one 8-bit channel holding 0 or 255; resized with NEAREST. */
    BILEVEL("1", 1),
    /** Pillow "L": 8-bit grayscale, one channel. */
    L("L", 1),
    /** Pillow "LA": 8-bit grayscale plus un-premultiplied alpha, two channels. */
    LA("LA", 2),
    /** Pillow "P": 8-bit palette indices, one channel, plus a palette; resized with NEAREST. */
    P("P", 1),
    /** Pillow "RGB": three 8-bit channels. */
    RGB("RGB", 3),
    /** Pillow "RGBA": RGB plus un-premultiplied 8-bit alpha, four channels. */
    RGBA("RGBA", 4),
    /** Pillow "CMYK": four 8-bit ink channels (0 = no ink), as Pillow reads CMYK/YCCK JPEGs. */
    CMYK("CMYK", 4),
    /** Pillow "I": one 32-bit signed integer channel; Pillow 9.4 opens 16-bit grayscale PNGs in this mode. */
    I("I", 1);

    private final String pillowName;
    private final int channels;

    ImageMode(String pillowName, int channels) {
        this.pillowName = pillowName;
        this.channels = channels;
    }

    /** The Pillow name of this mode ("1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I"). */
    public String pillowName() {
        return pillowName;
    }

    /** Number of interleaved samples per pixel in {@link DecodedImage} ({@code [H, W, C]}). */
    public int channels() {
        return channels;
    }

    /** True for {@link #I}, whose samples are 32-bit ints rather than bytes. */
    public boolean isInt32() {
        return this == I;
    }

    /** The mode whose {@link #pillowName()} is {@code name}; throws {@link IllegalArgumentException} otherwise. */
    public static ImageMode fromPillowName(String name) {
        for (ImageMode m : values()) {
            if (m.pillowName.equals(name)) return m;
        }
        throw new IllegalArgumentException("unknown image mode '" + name + "', expected one of 1, L, LA, P, RGB, RGBA, CMYK, I");
    }
}
