package org.clip4j.core.image;

import org.clip4j.core.ClipException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Decoder behaviour: raw samples from BufferedImages, and clean {@link ImageDecodeException}s for bad files. */
class ImageDecoderTest {
    @TempDir
    Path tmp;

    private static ImageDecodeException assertDecodeFails(Path file, String... fragments) {
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> ImageDecoder.read(file));
        assertTrue(e.getMessage().contains(file.toString()), "message names the file: " + e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().toLowerCase().contains(f.toLowerCase()), "message mentions '" + f + "': " + e.getMessage());
        }
        assertTrue(e instanceof ClipException);
        return e;
    }

    private Path write(String name, byte[] data) throws IOException {
        return Files.write(tmp.resolve(name), data);
    }

    private static byte[] fixture(String name) throws IOException {
        return Files.readAllBytes(Fixtures.reference().resolve(name));
    }

    private static byte[] extra(String name) throws IOException {
        return Files.readAllBytes(Fixtures.extra().resolve(name));
    }

    // ---- failures ----

    @Test
    void missingFile() {
        assertDecodeFails(tmp.resolve("nope.png"), "no such file");
    }

    @Test
    void directory() {
        assertDecodeFails(tmp, "directory");
    }

    @Test
    void emptyFile() throws IOException {
        assertDecodeFails(write("empty.jpg", new byte[0]), "empty");
    }

    @Test
    void garbage() throws IOException {
        byte[] junk = new byte[4096];
        new Random(1).nextBytes(junk);
        junk[0] = 'x';   // not a PNG/JPEG/GIF/BMP/WebP signature
        assertDecodeFails(write("junk.png", junk), "unrecognised");
    }

    @Test
    void textFile() throws IOException {
        assertDecodeFails(write("notes.jpg", "hello, this is not an image\n".getBytes()), "unrecognised");
    }

    @ParameterizedTest(name = "PNG cut at {0}")
    @ValueSource(ints = {8, 20, 33, 60, 200, 1000})
    void truncatedPng(int length) throws IOException {
        byte[] png = fixture("p1_rgb_300x200.png");
        assertTrue(length < png.length);
        assertDecodeFails(write("cut.png", Arrays.copyOf(png, length)), "PNG");
    }

    @Test
    void pngWithCorruptImageData() throws IOException {
        byte[] png = fixture("p1_rgb_300x200.png");
        for (int i = 200; i < png.length - 100; i += 7) png[i] ^= 0x5A;   // scramble the compressed IDAT stream
        assertDecodeFails(write("scrambled.png", png), "PNG");
    }

    @Test
    void pngWithBadHeader() throws IOException {
        byte[] png = fixture("p0_rgb_37x53.png");
        png[8 + 8 + 9] = 7;   // IHDR colour type 7 does not exist
        assertDecodeFails(write("badtype.png", png), "colour type 7");
    }

    @ParameterizedTest(name = "JPEG cut at {0}%")
    @ValueSource(ints = {1, 10, 50, 90, 99})
    void truncatedJpeg(int percent) throws IOException {
        byte[] jpg = extra("photo_420_320x213.jpg");
        assertDecodeFails(write("cut.jpg", Arrays.copyOf(jpg, jpg.length * percent / 100)), "JPEG");
    }

    @ParameterizedTest(name = "{0} cut in half")
    @ValueSource(strings = {"pal_37x29.gif", "rgb_33x21.bmp", "webp_lossy_64x48.webp", "prog_444_45x61.jpg", "cmyk_45x61.jpg"})
    void truncatedOtherFormats(String name) throws IOException {
        byte[] data = extra(name);
        assertDecodeFails(write("cut-" + name, Arrays.copyOf(data, data.length / 2)));
    }

    @Test
    void jpegWithGarbageAfterHeader() throws IOException {
        byte[] jpg = extra("gray_50x38.jpg");
        byte[] junk = new byte[jpg.length - 200];
        new Random(2).nextBytes(junk);
        System.arraycopy(junk, 0, jpg, 200, junk.length);
        assertDecodeFails(write("junk.jpg", jpg));
    }

    // ---- BufferedImage conversion ----

    @Test
    void grayBufferedImageKeepsRawSamples() {
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        byte[] values = {0, 1, 10, 100, (byte) 128, (byte) 255};
        img.getRaster().setDataElements(0, 0, 3, 2, values);
        DecodedImage d = ImageDecoder.fromBufferedImage(img);
        assertEquals(ImageMode.L, d.mode());
        assertArrayEquals(values, d.samples());   // no gamma curve (drawing into RGB would change 1, 10, 100, 128)
    }

    @Test
    void argbBufferedImageIsNotComposited() {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, 0x00FF8040);   // fully transparent orange
        img.setRGB(1, 0, 0x80102030);
        DecodedImage d = ImageDecoder.fromBufferedImage(img);
        assertEquals(ImageMode.RGBA, d.mode());
        assertArrayEquals(new byte[] {(byte) 0xFF, (byte) 0x80, 0x40, 0, 0x10, 0x20, 0x30, (byte) 0x80}, d.samples());
    }

    @Test
    void bgrBufferedImageBecomesRgb() {
        BufferedImage img = new BufferedImage(1, 1, BufferedImage.TYPE_3BYTE_BGR);
        img.setRGB(0, 0, 0x112233);
        DecodedImage d = ImageDecoder.fromBufferedImage(img);
        assertEquals(ImageMode.RGB, d.mode());
        assertArrayEquals(new byte[] {0x11, 0x22, 0x33}, d.samples());
    }

    @Test
    void indexedBufferedImageBecomesPalette() {
        byte[] r = {10, 20, 30}, g = {40, 50, 60}, b = {70, 80, 90};
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 3, r, g, b));
        img.getRaster().setDataElements(0, 0, 2, 1, new byte[] {2, 1});
        DecodedImage d = ImageDecoder.fromBufferedImage(img);
        assertEquals(ImageMode.P, d.mode());
        assertArrayEquals(new byte[] {2, 1}, d.samples());
        assertArrayEquals(new byte[] {10, 40, 70, 20, 50, 80, 30, 60, 90}, d.palette());
        assertNull(d.transparency());
        assertArrayEquals(new byte[] {30, 60, 90, 20, 50, 80}, RgbConversion.toRgb(d));
    }

    @Test
    void sixteenBitGrayBufferedImageBecomesModeI() {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        img.getRaster().setSamples(0, 0, 2, 1, 0, new int[] {200, 60000});
        DecodedImage d = ImageDecoder.fromBufferedImage(img);
        assertEquals(ImageMode.I, d.mode());
        assertArrayEquals(new int[] {200, 60000}, d.intSamples());
        assertArrayEquals(new byte[] {(byte) 200, (byte) 200, (byte) 200, (byte) 255, (byte) 255, (byte) 255}, RgbConversion.toRgb(d));
    }

    @Test
    void pathAndBufferedImageAgreeForAnRgbPng() throws IOException {
        Path file = Fixtures.reference().resolve("p1_rgb_300x200.png");
        BufferedImage img = javax.imageio.ImageIO.read(file.toFile());
        assertEquals(ImageDecoder.read(file), ImageDecoder.fromBufferedImage(img));
    }

    @Test
    void jpegIccProfileIsIgnored() {
        // Same samples as Pillow (checked against extra_cases.json in ExtraReferenceTest); here: ImageIO's own
        // read() applies the embedded profile and therefore differs.
        Path file = Fixtures.extra().resolve("icc_rgb_52x37.jpg");
        DecodedImage ours = ImageDecoder.read(file);
        assertEquals(ImageMode.RGB, ours.mode());
        assertEquals(52, ours.width());
    }
}
