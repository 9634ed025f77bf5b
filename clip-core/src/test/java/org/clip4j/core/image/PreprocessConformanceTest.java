package org.clip4j.core.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Conformance with {@code testdata/clip-reference} (reference {@code clip._transform(n)} for n = 32 and 224):
 * decoded pixels and palette, geometry, the uint8 stage and the float32 output, bit for bit.
 */
class PreprocessConformanceTest {
    private static final int[] SIZES = {32, 224};
    private static SafetensorsFile expected;
    private static JsonNode json;

    @BeforeAll
    static void open() throws IOException {
        expected = SafetensorsFile.open(Fixtures.reference().resolve("preprocess.expected.safetensors"));
        json = new ObjectMapper().readTree(Fixtures.reference().resolve("preprocess.json").toFile());
    }

    @AfterAll
    static void close() {
        if (expected != null) expected.close();
    }

    static Stream<JsonNode> images() throws IOException {
        JsonNode root = new ObjectMapper().readTree(Fixtures.reference().resolve("preprocess.json").toFile());
        List<JsonNode> list = new ArrayList<>();
        root.get("images").forEach(list::add);
        assertEquals(5, list.size());
        return list.stream();
    }

    static Stream<Arguments> imagesAndSizes() throws IOException {
        return images().flatMap(img -> Stream.of(Arguments.of(img, 32), Arguments.of(img, 224)));
    }

    private static String stem(JsonNode img) {
        return img.get("file").asText().replace(".png", "");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("images")
    void decodedPixelsAndPaletteMatchPillow(JsonNode img) {
        DecodedImage d = ImageDecoder.read(Fixtures.reference().resolve(img.get("file").asText()));
        assertEquals(img.get("mode").asText(), d.mode().pillowName());
        assertEquals(img.get("width").asInt(), d.width());
        assertEquals(img.get("height").asInt(), d.height());
        String name = img.get("decoded_tensor").asText();
        long[] shape = expected.info(name).shape();
        assertArrayEquals(new long[] {d.height(), d.width(), d.channels()}, shape);
        Fixtures.assertBytesEqual(expected.bytes(name), d.samples(), d.width(), d.channels(), name);
        if (img.has("palette_tensor")) {
            String p = img.get("palette_tensor").asText();
            assertArrayEquals(expected.bytes(p), d.palette(), p);
            assertEquals(expected.info(p).shape()[0], d.paletteSize());
        }
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("imagesAndSizes")
    void geometryMatchesTorchvision(JsonNode img, int n) {
        JsonNode out = img.get("outputs").get(String.valueOf(n));
        PreprocessGeometry g = ImagePreprocessor.clip(n).geometry(img.get("width").asInt(), img.get("height").asInt());
        assertEquals(out.get("resized_width").asInt(), g.resizedWidth(), "resized width");
        assertEquals(out.get("resized_height").asInt(), g.resizedHeight(), "resized height");
        assertEquals(out.get("crop_left").asInt(), g.left(), "crop left");
        assertEquals(out.get("crop_top").asInt(), g.top(), "crop top");
        boolean untouched = out.get("resampling").asText().startsWith("none");
        assertEquals(untouched, !g.resizes(img.get("width").asInt(), img.get("height").asInt()));
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("imagesAndSizes")
    void rgbUint8IsExact(JsonNode img, int n) {
        byte[] rgb = ImagePreprocessor.clip(n).applyToRgb(Fixtures.reference().resolve(img.get("file").asText()));
        String name = img.get("outputs").get(String.valueOf(n)).get("rgb_uint8_tensor").asText();
        assertArrayEquals(new long[] {n, n, 3}, expected.info(name).shape());
        Fixtures.assertBytesEqual(expected.bytes(name), rgb, n, 3, name);
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("imagesAndSizes")
    void pixelValuesAreBitExact(JsonNode img, int n) {
        float[] v = ImagePreprocessor.clip(n).apply(Fixtures.reference().resolve(img.get("file").asText()));
        String name = img.get("outputs").get(String.valueOf(n)).get("pixel_values_tensor").asText();
        assertArrayEquals(new long[] {3, n, n}, expected.info(name).shape());
        float[] want = expected.floats(name);
        assertEquals(want.length, v.length);
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(v[i])) {
                fail(name + "[" + i / (n * n) + ", " + (i % (n * n)) / n + ", " + i % n + "]: expected " + want[i] + ", got " + v[i]
                        + " (diff " + (v[i] - want[i]) + ")");
            }
        }
    }

    @Test
    void untouchedImageKeepsColourUnderTransparentPixels() {
        // p3 (45x32 RGBA) at 32 is not resized: the RGB under alpha 0 survives (a resize would premultiply it away).
        DecodedImage d = ImageDecoder.read(Fixtures.reference().resolve("p3_rgba_45x32.png"));
        assertSame(d, PillowResize.resize(d, 45, 32));
        byte[] rgb = ImagePreprocessor.clip(32).applyToRgb(d);
        byte[] src = d.samples();   // [32, 45, 4]
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(src[(y * 45 + x + 6) * 4 + c], rgb[(y * 32 + x) * 3 + c]);
                }
            }
        }
    }

    @ParameterizedTest(name = "n={0}")
    @MethodSource("sizes")
    void batchStacksPerImageResultsInArgumentOrder(int n) {
        List<Path> files = new ArrayList<>();
        json.get("images").forEach(img -> files.add(Fixtures.reference().resolve(img.get("file").asText())));
        ImagePreprocessor pre = ImagePreprocessor.clip(n);
        INDArray batch = pre.batch(files);
        assertEquals(DataType.FLOAT, batch.dataType());
        assertArrayEquals(new long[] {5, 3, n, n}, batch.shape());
        float[] all = batch.dup().data().asFloat();
        for (int i = 0; i < files.size(); i++) {
            float[] one = pre.apply(files.get(i));
            float[] slice = java.util.Arrays.copyOfRange(all, i * one.length, (i + 1) * one.length);
            assertArrayEquals(one, slice, "image " + i);
            String name = stem(json.get("images").get(i)) + ".n" + n + ".pixel_values";
            assertArrayEquals(expected.floats(name), slice, name);
        }
    }

    static int[] sizes() {
        return SIZES;
    }
}
