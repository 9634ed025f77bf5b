package org.clip4j.train.data.resize;

import org.clip4j.core.image.DecodedImage;
import org.clip4j.core.image.ImageDecoder;
import org.clip4j.core.image.ImageMode;
import org.clip4j.core.image.RgbConversion;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every mode written by {@link PngEncoder} decodes back to the same samples. */
class PngEncoderTest {
    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) ((i * 37 + seed * 11 + (i / 7) * (i % 5)) * 13);
        return b;
    }

    private static DecodedImage roundTrip(DecodedImage im) {
        return ImageDecoder.decode(PngEncoder.encode(im), im.toString());
    }

    @Test
    void eightBitModesRoundTrip() {
        for (ImageMode m : new ImageMode[]{ImageMode.L, ImageMode.LA, ImageMode.RGB, ImageMode.RGBA, ImageMode.BILEVEL}) {
            DecodedImage im = DecodedImage.of(m, 13, 7, pattern(13 * 7 * m.channels(), m.ordinal()));
            assertEquals(im, roundTrip(im), m.pillowName());
        }
    }

    @Test
    void paletteKeepsAlphasAndIndicesBeyondThePalette() {
        byte[] indices = pattern(9 * 5, 3);
        for (int i = 0; i < indices.length; i++) indices[i] = (byte) (i % 3 == 0 ? 200 : i % 4);   // 200 > 3 entries
        byte[] palette = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120};
        DecodedImage im = DecodedImage.palette(9, 5, indices, palette, new byte[]{0, (byte) 128});
        DecodedImage back = roundTrip(im);
        assertArrayEquals(indices, back.samples());
        assertArrayEquals(new byte[]{0, (byte) 128}, back.transparency());
        assertArrayEquals(RgbConversion.toRgb(im), RgbConversion.toRgb(back));
        assertEquals(201, back.paletteSize());
        assertArrayEquals(new byte[]{(byte) 200, (byte) 200, (byte) 200}, java.util.Arrays.copyOfRange(back.palette(), 600, 603));
    }

    @Test
    void sixteenBitClampsAndCmykBecomesRgb() {
        int[] v = {-5, 0, 1, 255, 256, 65535, 70000, 40000, 12345, 300};
        DecodedImage back = roundTrip(DecodedImage.int32(5, 2, v));
        assertEquals(ImageMode.I, back.mode());
        assertArrayEquals(new int[]{0, 0, 1, 255, 256, 65535, 65535, 40000, 12345, 300}, back.intSamples());

        DecodedImage cmyk = DecodedImage.of(ImageMode.CMYK, 4, 3, pattern(48, 9));
        DecodedImage rgb = roundTrip(cmyk);
        assertEquals(ImageMode.RGB, rgb.mode());
        assertArrayEquals(RgbConversion.toRgb(cmyk), rgb.samples());
    }
}
