package org.clip4j.cli;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.encoders.ClipModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** {@code clip demo} (shortened): trains clip4j-tiny, reports zero-shot and retrieval, writes both PNGs. */
class DemoCommandTest {
    @TempDir
    Path tmp;

    @Test
    void shortDemoTrainsReportsAndDrawsItsResults() throws Exception {
        Path dir = tmp.resolve("demo");
        CliRun r = CliRun.of("demo", "--out-dir", dir.toString(), "--steps", "4");
        assertEquals(0, r.exit, r.err());
        String out = r.out();
        assertTrue(out.startsWith("clip demo = clip train --model clip4j-tiny --data synthetic"), out);
        assertTrue(out.lines().findFirst().orElseThrow().contains("--no-augment"), out);
        Matcher z = Pattern.compile("zero-shot top-1 over 24 colour-shape labels: ([0-9.]+) % on 480 fresh renderings of "
                + "trained combinations, ([0-9.]+) % on 160 renderings").matcher(out);
        assertTrue(z.find(), out);
        double seen = Double.parseDouble(z.group(1)), held = Double.parseDouble(z.group(2));
        assertTrue(seen >= 0 && seen <= 100 && held >= 0 && held <= 100, out);
        Matcher v = Pattern.compile("retrieval on the validation pairs \\(step 4\\): image->text R@1 ([0-9.]+) %, R@5 ([0-9.]+) %, "
                + "R@10 ([0-9.]+) %").matcher(out);
        assertTrue(v.find(), out);
        double r1 = Double.parseDouble(v.group(1)), r5 = Double.parseDouble(v.group(2)), r10 = Double.parseDouble(v.group(3));
        assertTrue(r1 <= r5 && r5 <= r10, out); // recall grows with K
        assertTrue(out.contains("trained 4 steps (256 samples, 0 skipped)"), out);

        for (String png : new String[]{"loss.png", "confusion.png"}) {
            BufferedImage img = ImageIO.read(dir.resolve(png).toFile());
            assertNotNull(img, png);
            assertTrue(img.getWidth() > 200 && img.getHeight() > 200, png);
        }
        // the final checkpoint is a clip4j-tiny model that ClipModel.load reads
        Path weights;
        try (var s = Files.list(dir)) {
            weights = s.filter(p -> p.getFileName().toString().startsWith("step-")).findFirst().orElseThrow().resolve("model.safetensors");
        }
        try (ClipModel m = ClipModel.load(weights)) {
            assertEquals(ClipConfig.builtin("clip4j-tiny"), m.config());
        }
    }
}
