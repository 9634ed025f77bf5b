package org.clip4j.core.image;

import org.clip4j.core.ClipException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Builder, geometry, resize modes, normalisation and batching of {@link ImagePreprocessor}. */
class ImagePreprocessorTest {
    @TempDir
    Path tmp;

    private static Path ref(String name) {
        return Fixtures.reference().resolve(name);
    }

    @Test
    void builderDefaultsAreClip() {
        ImagePreprocessor p = ImagePreprocessor.builder().build();
        assertEquals(224, p.size());
        assertEquals(ResizeMode.SHORTEST, p.resizeMode());
        assertArrayEquals(new float[] {0.48145466f, 0.4578275f, 0.40821073f}, p.mean());
        assertArrayEquals(new float[] {0.26862954f, 0.26130258f, 0.27577711f}, p.std());
        assertArrayEquals(ImagePreprocessor.clipMean(), p.mean());
        assertArrayEquals(ImagePreprocessor.clipStd(), p.std());
        assertEquals(p.toString(), ImagePreprocessor.clip(224).toString());
    }

    @Test
    void builderRejectsBadValues() {
        assertThrows(IllegalArgumentException.class, () -> ImagePreprocessor.builder().size(0));
        assertThrows(IllegalArgumentException.class, () -> ImagePreprocessor.builder().mean(1f, 2f));
        assertThrows(IllegalArgumentException.class, () -> ImagePreprocessor.builder().std(1f, 0f, 1f));
        assertThrows(IllegalArgumentException.class, () -> ImagePreprocessor.builder().mean(1f, Float.NaN, 1f));
        assertThrows(NullPointerException.class, () -> ImagePreprocessor.builder().resizeMode(null));
    }

    @Test
    void preprocessorIsImmutable() {
        float[] mean = {0.5f, 0.5f, 0.5f};
        ImagePreprocessor p = ImagePreprocessor.builder().mean(mean).build();
        mean[0] = 9f;
        p.mean()[1] = 9f;
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f}, p.mean());
    }

    @Test
    void cropOffsetsRoundHalfToEven() {
        assertEquals(6, PreprocessGeometry.offset(45, 32));     // 6.5 -> 6 (Math.round would give 7)
        assertEquals(44, PreprocessGeometry.offset(313, 224));  // 44.5 -> 44
        assertEquals(46, PreprocessGeometry.offset(315, 224));  // 45.5 -> 46
        assertEquals(56, PreprocessGeometry.offset(336, 224));
        assertEquals(0, PreprocessGeometry.offset(224, 224));
        assertEquals(-6, PreprocessGeometry.offset(20, 32));    // padding: (32 - 20) // 2 before
        assertEquals(-5, PreprocessGeometry.offset(21, 32));    // 11 // 2 = 5 before, 6 after
    }

    @Test
    void shortestSideGeometry() {
        assertEquals(new PreprocessGeometry(336, 224, 56, 0, 224), ImagePreprocessor.clip(224).geometry(300, 200));
        assertEquals(new PreprocessGeometry(32, 1422, 0, 695, 32), ImagePreprocessor.clip(32).geometry(9, 400));
        // int(224 * 97 / 61) = int(356.19...) = 356: truncation, not rounding
        assertEquals(356, ImagePreprocessor.clip(224).geometry(61, 97).resizedHeight());
        assertFalse(ImagePreprocessor.clip(32).geometry(45, 32).resizes(45, 32));
    }

    @Test
    void squashAndLongestGeometry() {
        ImagePreprocessor squash = ImagePreprocessor.builder().size(64).resizeMode(ResizeMode.SQUASH).build();
        assertEquals(new PreprocessGeometry(64, 64, 0, 0, 64), squash.geometry(300, 17));
        ImagePreprocessor longest = ImagePreprocessor.builder().size(224).resizeMode(ResizeMode.LONGEST).build();
        // ratio = 300 / 224; height round(149.33) = 149; pad (224 - 149) // 2 = 37 rows on top
        assertEquals(new PreprocessGeometry(224, 149, 0, -37, 224), longest.geometry(300, 200));
        // 9 / (400 / 32) = 0.72 -> 1 row
        assertEquals(new PreprocessGeometry(32, 1, 0, -15, 32),
                ImagePreprocessor.builder().size(32).resizeMode(ResizeMode.LONGEST).build().geometry(400, 9));
        // a result of 0 (open_clip would fail) is clamped to one pixel
        assertEquals(1, ImagePreprocessor.builder().size(32).resizeMode(ResizeMode.LONGEST).build().geometry(1000, 1).resizedHeight());
    }

    @Test
    void longestPadsPaletteImagesWithIndexZero() {
        byte[] palette = {9, 8, 7, 100, 110, 120};
        DecodedImage p = DecodedImage.palette(4, 2, new byte[] {1, 1, 1, 1, 1, 1, 1, 1}, palette, null);
        byte[] rgb = ImagePreprocessor.builder().size(4).resizeMode(ResizeMode.LONGEST).build().applyToRgb(p);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                int o = (y * 4 + x) * 3;
                byte[] want = y == 1 || y == 2 ? new byte[] {100, 110, 120} : new byte[] {9, 8, 7};
                assertArrayEquals(want, Arrays.copyOfRange(rgb, o, o + 3), "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void longestPadsRgbaWithTransparentBlack() {
        byte[] px = new byte[4 * 2 * 4];
        Arrays.fill(px, (byte) 200);
        DecodedImage d = DecodedImage.of(ImageMode.RGBA, 2, 4, px);
        byte[] rgb = ImagePreprocessor.builder().size(4).resizeMode(ResizeMode.LONGEST).build().applyToRgb(d);
        assertEquals(0, rgb[0]);                          // left padding column
        assertEquals(200, rgb[3] & 0xff);                 // x = 1: image
        assertEquals(0, rgb[3 * 3]);                      // x = 3: right padding column
    }

    @Test
    void pixelValuesAreToTensorThenNormalize() {
        ImagePreprocessor p = ImagePreprocessor.builder().size(1).mean(0.5f, 0.25f, 0f).std(0.5f, 2f, 1f).build();
        float[] v = p.toPixelValues(new byte[] {(byte) 255, 51, 0});
        assertArrayEquals(new float[] {(1f - 0.5f) / 0.5f, (51 / 255f - 0.25f) / 2f, 0f}, v);
        assertThrows(IllegalArgumentException.class, () -> p.toPixelValues(new byte[4]));
    }

    @Test
    void bufferedImageAndPathGiveTheSameResult() throws IOException {
        for (String name : List.of("p1_rgb_300x200.png", "p2_gray_61x97.png", "p4_palette_50x70.png")) {
            float[] fromPath = ImagePreprocessor.clip(32).apply(ref(name));
            float[] fromImage = ImagePreprocessor.clip(32).apply(ImageIO.read(ref(name).toFile()));
            assertArrayEquals(fromPath, fromImage, name);
        }
    }

    @Test
    void batchOnACallerExecutorKeepsArgumentOrder() {
        List<Path> files = List.of(ref("p4_palette_50x70.png"), ref("p0_rgb_37x53.png"), ref("p4_palette_50x70.png"),
                ref("p3_rgba_45x32.png"), ref("p2_gray_61x97.png"), ref("p1_rgb_300x200.png"));
        ImagePreprocessor p = ImagePreprocessor.clip(64);
        ExecutorService ex = Executors.newFixedThreadPool(3);
        try {
            INDArray batch = p.batch(files, ex);
            assertArrayEquals(new long[] {6, 3, 64, 64}, batch.shape());
            float[] all = batch.dup().data().asFloat();
            int per = 3 * 64 * 64;
            for (int i = 0; i < files.size(); i++) {
                assertArrayEquals(p.apply(files.get(i)), Arrays.copyOfRange(all, i * per, (i + 1) * per), "image " + i);
            }
            assertFalse(ex.isShutdown(), "the caller's executor is not shut down");
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    void batchReportsTheFirstFailingFileInArgumentOrder() throws IOException {
        Path garbage = Files.write(tmp.resolve("garbage.png"), new byte[] {1, 2, 3});
        Path missing = tmp.resolve("missing.jpg");
        List<Path> files = List.of(ref("p0_rgb_37x53.png"), missing, garbage, ref("p1_rgb_300x200.png"));
        ClipException e = assertThrows(ClipException.class, () -> ImagePreprocessor.clip(32).batch(files));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void batchRejectsEmptyAndNullArguments() {
        ImagePreprocessor p = ImagePreprocessor.clip(32);
        assertThrows(IllegalArgumentException.class, () -> p.batch(List.of()));
        assertThrows(IllegalArgumentException.class, () -> p.batch(Arrays.asList(ref("p0_rgb_37x53.png"), null)));
        assertThrows(NullPointerException.class, () -> p.batch(List.of(ref("p0_rgb_37x53.png")), null));
    }
}
