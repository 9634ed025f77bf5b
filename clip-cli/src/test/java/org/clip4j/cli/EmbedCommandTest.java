package org.clip4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.safetensors.DType;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.encoders.ClipModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code clip embed} against the vit_tiny reference outputs, and its error reports. */
class EmbedCommandTest {
    static final Path REF = Path.of(System.getProperty("clip4j.testdata"), "clip-reference");
    static final Path VIT = REF.resolve("vit_tiny.safetensors");
    static final String EXPECTED = REF.resolve("vit_tiny.expected.safetensors").toString();

    @TempDir
    Path tmp;

    /** max|a − e| / max|e| (the fixture README's measure). */
    static double normwise(INDArray a, INDArray e) {
        assertArrayEquals(e.shape(), a.shape());
        INDArray ad = a.castTo(DataType.DOUBLE), ed = e.castTo(DataType.DOUBLE);
        return ad.sub(ed).amaxNumber().doubleValue() / ed.amaxNumber().doubleValue();
    }

    @Test
    void reproducesFeaturesLogitsLossAndEveryGradientOfTheFixture() {
        Path out = tmp.resolve("o.safetensors");
        CliRun r = CliRun.of("embed", "--model", VIT.toString(), "--pixel-values", EXPECTED + "#image",
                "--tokens", EXPECTED + "#text", "--loss", "--gradients", "--out", out.toString());
        assertEquals(0, r.exit, r.err());
        try (SafetensorsFile o = SafetensorsFile.open(out); SafetensorsFile e = SafetensorsFile.open(Path.of(EXPECTED))) {
            for (String n : List.of("image_features", "text_features", "logits_per_image", "logits_per_text")) {
                double err = normwise(o.floatArray(n), e.floatArray(n));
                System.out.printf("embed %-20s %.2e%n", n, err);
                assertTrue(err <= 1e-4, n + ": " + err);
            }
            assertEquals(DType.F32, o.info("loss").dtype());
            assertArrayEquals(new long[0], o.info("loss").shape());
            float loss = o.floats("loss")[0], want = e.floats("loss")[0];
            System.out.printf("embed loss rel. error %.2e%n", Math.abs(loss - want) / Math.abs(want));
            assertEquals(want, loss, 1e-5 * Math.abs(want));
            int grads = 0;
            for (String n : e.names()) {
                if (!n.startsWith("grad.")) continue;
                double err = normwise(o.floatArray(n), e.floatArray(n));
                System.out.printf("embed %-55s %.2e%n", n, err);
                assertTrue(err <= 1e-3, n + ": " + err);
                grads++;
            }
            assertEquals(10, grads);
            // A gradient for every trainable parameter (vit_tiny: 62 entries, no buffers).
            assertEquals(62, o.names().stream().filter(n -> n.startsWith("grad.")).count());
            assertEquals(4 + 1 + 62, o.names().size());
        }
    }

    @Test
    void imagesAndTextsFilesGoThroughTheReferenceFrontEnds() throws IOException {
        // Real BPE ids of the fixture texts through a vocabulary-widened vit_tiny = the fixture's text_features.
        Path wide = WideVocab.write(VIT, tmp.resolve("wide.safetensors"));
        JsonNode texts = new ObjectMapper().readTree(REF.resolve("vit_tiny.json").toFile()).get("texts");
        List<String> lines = new ArrayList<>();
        texts.forEach(t -> lines.add(t.asText()));
        Path textsFile = Files.write(tmp.resolve("texts.txt"), lines, StandardCharsets.UTF_8);
        List<String> pngs = List.of("p0_rgb_37x53.png", "p2_gray_61x97.png", "p4_palette_50x70.png");
        List<String> args = new ArrayList<>(List.of("embed", "--model", wide.toString(), "--texts-file",
                textsFile.toString(), "--out", tmp.resolve("o.safetensors").toString(), "--images"));
        for (String p : pngs) args.add(REF.resolve(p).toString());
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, r.exit, r.err());
        try (SafetensorsFile o = SafetensorsFile.open(tmp.resolve("o.safetensors"));
             SafetensorsFile e = SafetensorsFile.open(Path.of(EXPECTED));
             SafetensorsFile pre = SafetensorsFile.open(REF.resolve("preprocess.expected.safetensors"));
             ClipModel m = ClipModel.load(VIT)) {
            double err = normwise(o.floatArray("text_features"), e.floatArray("text_features"));
            System.out.printf("embed --texts-file text_features %.2e%n", err);
            assertTrue(err <= 1e-4, "text_features " + err);
            // Image rows = the model on the reference _transform(32) pixels of each file.
            for (int i = 0; i < pngs.size(); i++) {
                String stem = pngs.get(i).replace(".png", "");
                INDArray px = pre.floatArray(stem + ".n32.pixel_values").reshape(1, 3, 32, 32);
                INDArray want = m.encodeImage(px);
                INDArray got = o.floatArray("image_features").getRow(i).reshape(1, 32);
                assertTrue(normwise(got, want) <= 1e-5, stem);
            }
            assertArrayEquals(new long[] {3, 4}, o.info("logits_per_image").shape());
            assertFalse(o.contains("loss"));
        }
        assertEquals(ImagePreprocessor.clip(32).size(), 32);
    }

    @Test
    void badInputsGiveOneLineErrorsNamingThem() throws IOException {
        String out = tmp.resolve("o.safetensors").toString();
        String rnExpected = REF.resolve("rn_tiny.expected.safetensors").toString();
        assertError("'nosuch'", "embed", "--model", VIT.toString(), "--pixel-values", EXPECTED + "#nosuch", "--out", out);
        assertError("[4, 3, 64, 64]", "embed", "--model", VIT.toString(), "--pixel-values", rnExpected + "#image", "--out", out);
        assertError("token id 49406", "embed", "--model", VIT.toString(), "--tokens", EXPECTED + "#text_bpe", "--out", out);
        assertError("integer tensor", "embed", "--model", VIT.toString(), "--tokens", EXPECTED + "#image", "--out", out);
        assertError("missing.safetensors", "embed", "--model", VIT.toString(), "--tokens",
                tmp.resolve("missing.safetensors") + "#text", "--out", out);
        assertError("nomodel", "embed", "--model", tmp.resolve("nomodel").toString(), "--tokens", EXPECTED + "#text", "--out", out);
        assertError("nothere.png", "embed", "--model", VIT.toString(), "--images", tmp.resolve("nothere.png").toString(), "--out", out);
        Path wide = WideVocab.write(VIT, tmp.resolve("wide.safetensors"));
        assertError("3 texts", "embed", "--model", wide.toString(), "--pixel-values", EXPECTED + "#image", "--texts-file",
                Files.writeString(tmp.resolve("t.txt"), "a\nb\nc\n").toString(), "--loss", "--out", out);
        assertFalse(Files.exists(Path.of(out)));
        // Usage errors: exit 2.
        assertEquals(2, CliRun.of("embed", "--model", VIT.toString(), "--out", out).exit);
        assertEquals(2, CliRun.of("embed", "--model", VIT.toString(), "--tokens", EXPECTED + "#text", "--loss", "--out", out).exit);
    }

    private static void assertError(String named, String... args) {
        CliRun r = CliRun.of(args);
        String e = r.err();
        assertEquals(1, r.exit, e);
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.startsWith("clip: error: ") && e.contains(named), e);
    }
}
