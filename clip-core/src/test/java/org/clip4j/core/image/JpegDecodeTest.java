package org.clip4j.core.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.clip4j.core.ClipException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Both JPEG decoders ({@link JpegBackend#TURBO}: libjpeg-turbo through TurboJPEG, {@link JpegBackend#IMAGEIO}: the
 * pure-Java fallback) against Pillow 9.4, bit for bit: the cases made by {@code src/test/scripts/gen_jpeg_cases.py}
 * (subsamplings 4:4:4 to 4:1:1 and mixed, odd sizes down to 1x1, qualities 5 to 100, progressive, arithmetic,
 * restart markers, gray, RGB, YCCK, markers missing or extra, damaged scan data) and the JPEGs of
 * {@code extra_cases.json}; truncated files fail with a clear error on both.
 *
 * <p>Where libturbojpeg is not installed the TURBO tests are skipped, except in CI (environment {@code CI=true}),
 * where they fail: the CI script installs {@code libturbojpeg0} so that this path is really tested.
 */
class JpegDecodeTest {
    static void requireTurbo() {
        if (TurboJpeg.available()) return;
        String why = "libturbojpeg is not available (" + TurboJpeg.failure() + ")";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(why + ": CI must install the Debian package libturbojpeg0 (see .ci/run) so that the TurboJPEG path is tested");
        }
        Assumptions.abort(why + "; install libturbojpeg0 to test the TurboJPEG path");
    }

    private static Path dir() {
        try {
            return Path.of(JpegDecodeTest.class.getResource("jpeg/jpeg_cases.json").toURI()).getParent();
        } catch (Exception e) {
            throw new AssertionError("missing test resource org/clip4j/core/image/jpeg/jpeg_cases.json", e);
        }
    }

    private static DecodedImage decode(Path file, JpegBackend backend) throws IOException {
        if (backend == JpegBackend.TURBO) requireTurbo();
        return ImageDecoder.decode(Files.readAllBytes(file), file.toString(), backend);
    }

    @TestFactory
    List<DynamicNode> generatedCasesDecodeLikePillow() throws IOException {
        JsonNode cases = new ObjectMapper().readTree(dir().resolve("jpeg_cases.json").toFile()).get("cases");
        List<DynamicNode> nodes = new ArrayList<>();
        for (JsonNode c : cases) {
            String file = c.get("file").asText();
            List<DynamicNode> tests = new ArrayList<>();
            for (JpegBackend backend : JpegBackend.values()) {
                tests.add(DynamicTest.dynamicTest(backend.name(), () -> {
                    if (backend == JpegBackend.TURBO) requireTurbo();
                    Path path = dir().resolve(file);
                    DecodedImage d = decode(path, backend);
                    assertEquals(c.get("mode").asText(), d.mode().pillowName(), "Pillow mode");
                    assertEquals(c.get("width").asInt(), d.width(), "width");
                    assertEquals(c.get("height").asInt(), d.height(), "height");
                    byte[] expected = Files.readAllBytes(dir().resolve(file.replace(".jpg", ".pixels")));
                    Fixtures.assertBytesEqual(expected, d.samples(), d.width(), d.channels(), file + " (" + c.get("how").asText() + ")");
                    assertEquals(c.get("sha256").asText(), ExtraReferenceTest.sha256(d.samples()), "SHA-256");
                }));
            }
            nodes.add(DynamicContainer.dynamicContainer(file, tests));
        }
        assertTrue(nodes.size() >= 25, "expected the generated cases, found " + nodes.size());
        return nodes;
    }

    @TestFactory
    List<DynamicNode> extraReferenceJpegsDecodeLikePillow() throws IOException {
        JsonNode cases = new ObjectMapper().readTree(Fixtures.extra().resolve("extra_cases.json").toFile()).get("cases");
        List<DynamicNode> nodes = new ArrayList<>();
        for (JsonNode c : cases) {
            String file = c.get("file").asText();
            if (!file.endsWith(".jpg")) continue;
            for (JpegBackend backend : JpegBackend.values()) {
                nodes.add(DynamicTest.dynamicTest(file + " " + backend, () -> {
                    DecodedImage d = decode(Fixtures.extra().resolve(file), backend);
                    assertEquals(c.get("mode").asText(), d.mode().pillowName(), "Pillow mode");
                    assertEquals(c.get("decoded_sha256").asText(), ExtraReferenceTest.sha256(d.samples()), "SHA-256 of the samples");
                }));
            }
        }
        assertEquals(10, nodes.size(), "the five JPEGs of extra_cases.json, two decoders each");
        return nodes;
    }

    @TestFactory
    List<DynamicTest> truncatedFilesFailOnBothDecoders() throws IOException {
        byte[] jpg = Files.readAllBytes(Fixtures.extra().resolve("photo_420_320x213.jpg"));
        byte[] prog = Files.readAllBytes(dir().resolve("prog420_67x45_opt.jpg"));
        List<DynamicTest> tests = new ArrayList<>();
        for (JpegBackend backend : JpegBackend.values()) {
            for (byte[] data : List.of(jpg, prog)) {
                // Cut inside the headers, the scan data, and just before or inside the EOI marker (Pillow: "image
                // file is truncated" in every case).
                for (int cut : new int[] {3, 100, data.length / 3, data.length / 2, data.length - 40, data.length - 2, data.length - 1}) {
                    tests.add(DynamicTest.dynamicTest(backend + " " + data.length + " bytes cut to " + cut, () -> {
                        if (backend == JpegBackend.TURBO) requireTurbo();   // outside assertThrows
                        Path file = Files.createTempFile("cut", ".jpg");
                        try {
                            Files.write(file, Arrays.copyOf(data, cut));
                            ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> decode(file, backend));
                            assertTrue(e.getMessage().contains(file.toString()), "names the file: " + e.getMessage());
                            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("corrupt"), e.getMessage());
                        } finally {
                            Files.deleteIfExists(file);
                        }
                    }));
                }
            }
        }
        return tests;
    }

    @Test
    void turboReportsFatalErrorsWithLibjpegsMessage() throws IOException {
        requireTurbo();
        byte[] jpg = Files.readAllBytes(dir().resolve("s420_33x17_q85.jpg"));
        // Point the scan's DC table selector of component 1 at table 3, which the file never defines.
        int sos = indexOf(jpg, new byte[] {(byte) 0xFF, (byte) 0xDA});
        jpg[sos + 6] = 0x33;
        ImageDecodeException e = assertThrows(ImageDecodeException.class, () -> ImageDecoder.decode(jpg, "bad-table.jpg", JpegBackend.TURBO));
        assertTrue(e.getMessage().startsWith("bad-table.jpg: corrupt JPEG file (libjpeg-turbo: "), e.getMessage());
        assertTrue(e.getMessage().toLowerCase().contains("huffman table"), e.getMessage());
    }

    @Test
    void endOfImageWalk() throws IOException {
        for (String f : new String[] {"app1_thumbnail_30x20.jpg", "trailing_bytes_26x18.jpg", "restart_420_50x34.jpg", "prog420_67x45_opt.jpg"}) {
            byte[] data = Files.readAllBytes(dir().resolve(f));
            assertTrue(JpegHeader.reachesEndOfImage(data), f);
            int eoi = f.startsWith("trailing") ? indexOf(data, new byte[] {0, 'j', 'u', 'n', 'k'}) : data.length;
            assertFalse(JpegHeader.reachesEndOfImage(Arrays.copyOf(data, eoi - 2)), f + " without its EOI");
            assertFalse(JpegHeader.reachesEndOfImage(Arrays.copyOf(data, eoi - 1)), f + " with half an EOI");
        }
        // The thumbnail's FF D9 inside the APP1 segment is not the image's end: cut right after it.
        byte[] app1 = Files.readAllBytes(dir().resolve("app1_thumbnail_30x20.jpg"));
        int thumbEnd = indexOf(app1, new byte[] {(byte) 0xFF, (byte) 0xD9}) + 2;
        assertTrue(thumbEnd < app1.length - 100);
        assertFalse(JpegHeader.reachesEndOfImage(Arrays.copyOf(app1, thumbEnd)));
    }

    @Test
    void turboIsSafeToShareBetweenThreads() throws Exception {
        requireTurbo();
        List<byte[]> files = new ArrayList<>();
        List<DecodedImage> expected = new ArrayList<>();
        for (String f : new String[] {"s420_33x17_q85.jpg", "prog_gray_23x31.jpg", "ycck_38x26.jpg", "s411_45x21.jpg"}) {
            files.add(Files.readAllBytes(dir().resolve(f)));
            expected.add(ImageDecoder.decode(files.get(files.size() - 1), f, JpegBackend.IMAGEIO));
        }
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int task = 0; task < 24; task++) {
                int first = task;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 40; i++) {
                        int k = (first + i) % files.size();
                        if (!ImageDecoder.decode(files.get(k), "f" + k, JpegBackend.TURBO).equals(expected.get(k))) return false;
                    }
                    return true;
                }));
            }
            for (Future<Boolean> r : results) assertTrue(r.get(), "every concurrent decode equals the single-threaded one");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void propertyValues() {
        JpegBackend.Choice imageio = JpegBackend.choose("ImageIO");
        assertEquals(JpegBackend.IMAGEIO, imageio.backend());
        assertNull(imageio.error());
        JpegBackend.Choice auto = JpegBackend.choose("auto");
        assertEquals(TurboJpeg.available() ? JpegBackend.TURBO : JpegBackend.IMAGEIO, auto.backend());
        JpegBackend.Choice bad = JpegBackend.choose("libjpeg");
        assertNull(bad.backend());
        assertEquals("-Dclip4j.jpeg=libjpeg is not a JPEG decoder: expected auto, turbo or imageio", bad.error());
        JpegBackend.Choice turbo = JpegBackend.choose("turbo");
        if (TurboJpeg.available()) {
            assertEquals(JpegBackend.TURBO, turbo.backend());
        } else {
            assertTrue(turbo.error().contains("libturbojpeg0"), turbo.error());
        }
    }

    @Test
    void configuredDecoderIsDescribed() {
        String d = ImageDecoder.jpegDecoder();
        String property = System.getProperty(JpegBackend.PROPERTY, "auto");
        if (TurboJpeg.available() && property.equals("auto")) {
            assertTrue(d.startsWith("libjpeg-turbo (TurboJPEG API, ") && d.contains("turbojpeg"), d);
        } else if (!TurboJpeg.available() && property.equals("auto")) {
            assertTrue(d.startsWith("ImageIO"), d);
        }
        assertFalse(d.isBlank());
    }

    @Test
    void missingLibraryIsAClipExceptionWhenForced() {
        JpegBackend.Choice c = JpegBackend.choose("turbo");
        if (c.error() == null) return;   // library present: nothing to report
        ClipException e = new ClipException(c.error());
        assertTrue(e.getMessage().startsWith("-Dclip4j.jpeg=turbo, but libturbojpeg cannot be loaded"), e.getMessage());
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int j = 0; j < pattern.length; j++) if (data[i + j] != pattern[j]) continue outer;
            return i;
        }
        throw new AssertionError("pattern not found");
    }
}
