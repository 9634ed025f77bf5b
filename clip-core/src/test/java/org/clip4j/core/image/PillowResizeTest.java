package org.clip4j.core.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Unit tests of the Pillow resampling pieces; exactness against Pillow itself is in the reference tests. */
class PillowResizeTest {
    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void keysKernelWithAMinusHalf() {
        assertEquals(1.0, ResampleCoefficients.bicubic(0.0));
        assertEquals(0.5625, ResampleCoefficients.bicubic(0.5));
        assertEquals(0.5625, ResampleCoefficients.bicubic(-0.5));
        assertEquals(0.0, ResampleCoefficients.bicubic(1.0), 0.0);   // -0.0, as in C
        assertEquals(-0.0625, ResampleCoefficients.bicubic(1.5));
        assertEquals(0.0, ResampleCoefficients.bicubic(2.0));
        assertEquals(0.0, ResampleCoefficients.bicubic(7.0));
    }

    @Test
    void downscaleStretchesTheKernel() {
        // 8 -> 4: scale 2, support 4; output 0 has center 1.0 and taps x = 0..4 (window clipped at 0).
        ResampleCoefficients co = ResampleCoefficients.bicubic(8, 4);
        assertEquals(0, co.min[0]);
        assertEquals(5, co.count[0]);
        double[] raw = new double[5];
        double sum = 0;
        for (int x = 0; x < 5; x++) {
            raw[x] = ResampleCoefficients.bicubic((x - 1.0 + 0.5) / 2.0);
            sum += raw[x];
        }
        for (int x = 0; x < 5; x++) assertEquals(raw[x] / sum, co.weights[x], 1e-15);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"37,32", "53,45", "300,48", "13,336", "1,7", "7,1", "400,32", "45,315"})
    void weightsAreNormalisedAndFixedPointSumsToOne(int in, int out) {
        ResampleCoefficients co = ResampleCoefficients.bicubic(in, out);
        int[] k = co.fixedPoint();
        for (int i = 0; i < out; i++) {
            double sum = 0;
            long fixed = 0;
            for (int t = 0; t < co.kernelSize; t++) {
                sum += co.weights[i * co.kernelSize + t];
                fixed += k[i * co.kernelSize + t];
            }
            assertEquals(1.0, sum, 1e-12);
            assertTrue(Math.abs(fixed - (1 << 22)) <= co.kernelSize, "fixed-point sum " + fixed);
            assertTrue(co.min[i] >= 0 && co.min[i] + co.count[i] <= in);
        }
    }

    @ParameterizedTest(name = "{0}x{1} -> {2}x{3}")
    @CsvSource({"37,53,32,45", "20,13,336,224", "9,400,32,1422", "5,5,3,8"})
    void constantImageStaysConstant(int w, int h, int ow, int oh) {
        byte[] src = new byte[w * h * 3];
        for (int i = 0; i < src.length; i += 3) {
            src[i] = 7;
            src[i + 1] = (byte) 128;
            src[i + 2] = (byte) 250;
        }
        byte[] out = PillowResize.bicubic(src, w, h, 3, ow, oh);
        for (int i = 0; i < out.length; i += 3) {
            assertEquals(7, out[i]);
            assertEquals(128, out[i + 1] & 0xff);
            assertEquals(250, out[i + 2] & 0xff);
        }
    }

    @Test
    void unchangedDimensionIsNotResampled() {
        int w = 23, h = 11;
        byte[] src = random(w * h, 1);
        // Width only: every output row is the 1-D resample of its own input row.
        byte[] wide = PillowResize.bicubic(src, w, h, 1, 40, h);
        for (int y = 0; y < h; y++) {
            byte[] row = java.util.Arrays.copyOfRange(src, y * w, (y + 1) * w);
            assertArrayEquals(PillowResize.bicubic(row, w, 1, 1, 40, 1), java.util.Arrays.copyOfRange(wide, y * 40, (y + 1) * 40));
        }
        assertArrayEquals(src, PillowResize.bicubic(src, w, h, 1, w, h));
    }

    @Test
    void horizontalPassRunsFirstAndTheOrderMatters() {
        int w = 61, h = 97, ow = 32, oh = 50;
        byte[] src = random(w * h, 2);
        byte[] ours = PillowResize.bicubic(src, w, h, 1, ow, oh);
        // Horizontal first, written out: width pass on all rows, then height pass on the uint8 result.
        byte[] hFirst = PillowResize.bicubic(PillowResize.bicubic(src, w, h, 1, ow, h), ow, h, 1, ow, oh);
        assertArrayEquals(hFirst, ours);
        // Vertical first gives other pixels (the intermediate uint8 rounding happens elsewhere).
        byte[] vFirst = PillowResize.bicubic(PillowResize.bicubic(src, w, h, 1, w, oh), w, oh, 1, ow, oh);
        assertNotEquals(0, Fixtures.maxAbsDiff(ours, vFirst));
    }

    @Test
    void nearestUsesAccumulatedPositions() {
        assertArrayEquals(new int[] {0, 2, 3, 5, 7, 8, 10, 11, 13, 14, 16, 17, 19, 21, 22, 24, 25, 27, 28, 30, 32, 33, 35, 36,
                38, 39, 41, 42, 44, 46, 47, 49}, PillowResize.nearestIndices(50, 32));
        assertArrayEquals(new int[] {0, 0, 1, 1, 1, 2, 2}, PillowResize.nearestIndices(3, 7));
    }

    @Test
    void paletteImagesAreResizedWithNearest() {
        byte[] idx = {0, 1, 2, 3, 4, 5};   // 3x2
        DecodedImage p = DecodedImage.palette(3, 2, idx, new byte[] {1, 2, 3}, null);
        DecodedImage r = PillowResize.resize(p, 6, 1);
        assertEquals(ImageMode.P, r.mode());
        assertArrayEquals(new byte[] {3, 3, 4, 4, 5, 5}, r.samples());   // row int(0.5 * 2 / 1) = 1
        assertArrayEquals(p.palette(), r.palette());
    }

    @Test
    void premultiplyFormulas() {
        byte[] px = {(byte) 200, 0, (byte) 255, (byte) 128, (byte) 200, 10, 20, 0, (byte) 200, 10, 20, (byte) 255};
        AlphaPremultiply.premultiply(px, 4);
        // t = 200 * 128 + 128 = 25728; ((t >> 8) + t) >> 8 = 100
        assertArrayEquals(new byte[] {100, 0, (byte) 128, (byte) 128, 0, 0, 0, 0, (byte) 200, 10, 20, (byte) 255}, px);
        AlphaPremultiply.unpremultiply(px, 4);
        // 255 * 100 / 128 = 199 (integer division); alpha 0 and 255 untouched
        assertArrayEquals(new byte[] {(byte) 199, 0, (byte) 255, (byte) 128, 0, 0, 0, 0, (byte) 200, 10, 20, (byte) 255}, px);
    }

    @Test
    void rgbaResizeDoesNotBleedTransparentColour() {
        // Fully transparent red next to opaque blue: after premultiplication the red weighs nothing.
        byte[] px = {(byte) 255, 0, 0, 0, 0, 0, (byte) 255, (byte) 255};
        DecodedImage d = DecodedImage.of(ImageMode.RGBA, 2, 1, px);
        byte[] out = PillowResize.resize(d, 1, 1).samples();
        assertEquals(0, out[0]);
        assertEquals(255, out[2] & 0xff);
        assertEquals(128, out[3] & 0xff);
    }

    @Test
    void modeIUsesDoubleWeightsAndRoundsHalfAwayFromZero() {
        assertArrayEquals(new int[] {500}, PillowResize.bicubicInt32(new int[] {0, 1000}, 2, 1, 1, 1));
        assertArrayEquals(new int[] {501}, PillowResize.bicubicInt32(new int[] {0, 1001}, 2, 1, 1, 1));
        assertArrayEquals(new int[] {-501}, PillowResize.bicubicInt32(new int[] {0, -1001}, 2, 1, 1, 1));
        assertArrayEquals(new int[] {70000}, PillowResize.bicubicInt32(new int[] {70000, 70000}, 2, 1, 1, 1));
    }

    @Test
    void sameSizeReturnsTheImageItself() {
        DecodedImage d = DecodedImage.of(ImageMode.L, 3, 2, new byte[6]);
        assertSame(d, PillowResize.resize(d, 3, 2));
    }

    /**
     * The 3-channel horizontal pass packs R and G into one 64-bit sum; it must equal resampling each channel on its
     * own (the generic one-channel loop). Hard 0/255 edges drive the bicubic lobes' sums below zero and above
     * 255 · 2²², where a wrong carry between the packed lanes would show.
     */
    @ParameterizedTest(name = "{0}x{1} -> {2}x{3}")
    @CsvSource({"640, 7, 299, 7", "37, 5, 101, 5", "300, 4, 3, 4", "9, 3, 2, 3", "51, 40, 17, 13"})
    void rgbPassEqualsThreeSingleChannelPasses(int w, int h, int ow, int oh) {
        Random r = new Random(w * 31L + ow);
        byte[] rgb = new byte[w * h * 3];
        for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) (r.nextInt(3) == 0 ? r.nextInt(256) : r.nextBoolean() ? 255 : 0);
        byte[] out = PillowResize.bicubic(rgb, w, h, 3, ow, oh);   // [oh, ow, 3]
        for (int c = 0; c < 3; c++) {
            byte[] plane = new byte[w * h];
            for (int i = 0; i < plane.length; i++) plane[i] = rgb[3 * i + c];
            byte[] expected = PillowResize.bicubic(plane, w, h, 1, ow, oh);
            byte[] actual = new byte[ow * oh];
            for (int i = 0; i < actual.length; i++) actual[i] = out[3 * i + c];
            assertArrayEquals(expected, actual, "channel " + c);
        }
    }
}
