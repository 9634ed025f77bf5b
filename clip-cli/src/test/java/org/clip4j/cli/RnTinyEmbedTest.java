package org.clip4j.cli;

import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.encoders.ClipModel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code clip embed} on the rn_tiny (ModifiedResNet) fixture. The text side runs now; the image side is skipped
 * only while {@code ModifiedResNet.forward} throws UnsupportedOperationException, and runs once it lands.
 */
class RnTinyEmbedTest {
    static final Path RN = EmbedCommandTest.REF.resolve("rn_tiny.safetensors");
    static final String EXPECTED = EmbedCommandTest.REF.resolve("rn_tiny.expected.safetensors").toString();

    @TempDir
    Path tmp;

    @Test
    void textFeatures() {
        Path out = tmp.resolve("t.safetensors");
        CliRun r = CliRun.of("embed", "--model", RN.toString(), "--tokens", EXPECTED + "#text", "--out", out.toString());
        assertEquals(0, r.exit, r.err());
        try (SafetensorsFile o = SafetensorsFile.open(out); SafetensorsFile e = SafetensorsFile.open(Path.of(EXPECTED))) {
            double err = EmbedCommandTest.normwise(o.floatArray("text_features"), e.floatArray("text_features"));
            System.out.printf("rn_tiny embed text_features %.2e%n", err);
            assertTrue(err <= 1e-4, "text_features " + err);
            assertEquals(List.of("text_features"), o.names());
        }
    }

    @Test
    void imageFeaturesLogitsLossAndGradients() {
        assumeResNetForward();
        Path out = tmp.resolve("o.safetensors");
        CliRun r = CliRun.of("embed", "--model", RN.toString(), "--pixel-values", EXPECTED + "#image",
                "--tokens", EXPECTED + "#text", "--gradients", "--out", out.toString());
        assertEquals(0, r.exit, r.err());
        try (SafetensorsFile o = SafetensorsFile.open(out); SafetensorsFile e = SafetensorsFile.open(Path.of(EXPECTED))) {
            for (String n : List.of("image_features", "text_features", "logits_per_image", "logits_per_text")) {
                double err = EmbedCommandTest.normwise(o.floatArray(n), e.floatArray(n));
                System.out.printf("rn_tiny embed %-20s %.2e%n", n, err);
                assertTrue(err <= 1e-4, n + ": " + err);
            }
            float loss = o.floats("loss")[0], want = e.floats("loss")[0];
            assertEquals(want, loss, 1e-5 * Math.abs(want));
            int grads = 0;
            for (String n : e.names()) {
                if (!n.startsWith("grad.")) continue;
                double err = EmbedCommandTest.normwise(o.floatArray(n), e.floatArray(n));
                System.out.printf("rn_tiny embed %-45s %.2e%n", n, err);
                assertTrue(err <= 1e-3, n + ": " + err);
                grads++;
            }
            assertEquals(11, grads);
            assertFalse(o.contains("grad.visual.bn1.running_mean"), "buffers have no gradient");
        }
    }

    /** Skips while the ResNet image tower is a skeleton (its forward throws UnsupportedOperationException). */
    private static void assumeResNetForward() {
        try (ClipModel m = ClipModel.load(RN); SafetensorsFile e = SafetensorsFile.open(Path.of(EXPECTED))) {
            INDArray image = e.floatArray("image");
            m.encodeImage(image).close();
        } catch (UnsupportedOperationException ex) {
            Assumptions.assumeTrue(false, "ModifiedResNet forward not implemented yet: " + ex.getMessage());
        }
    }
}
