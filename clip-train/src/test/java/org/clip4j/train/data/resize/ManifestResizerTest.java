package org.clip4j.train.data.resize;

import org.clip4j.core.image.DecodedImage;
import org.clip4j.core.image.ImageDecoder;
import org.clip4j.core.image.ImageMode;
import org.clip4j.eval.data.DelimitedTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resizes the fixtures of {@code src/test/scripts/resize_reference.py} and compares each copy with what the former
 * Pillow script wrote for it (decoded samples equal, mode and size included).
 */
class ManifestResizerTest {
    private static final String[] SOURCES = {"src_rgb_90x50.png", "src_rgba_40x70.png", "src_p_trns_75x33.png",
            "src_la_33x33.png", "src_gray16_30x45.png", "src_bilevel_50x20.png", "src_rgb_33x32.png",
            "src_rgb_35x32.png", "src_l_12x20.png", "src_gray_61x40.jpg"};

    @TempDir
    Path tmp;

    private static Path fixture(String name) throws URISyntaxException {
        return Path.of(ManifestResizerTest.class.getResource(name).toURI());
    }

    @Test
    void matchesPillowScriptAndRewritesManifests() throws Exception {
        Path in = tmp.resolve("in");
        Files.createDirectories(in.resolve("sub"));
        StringBuilder tsv = new StringBuilder("filepath\ttitle\tcategory\n");
        for (String s : SOURCES) {
            Files.copy(fixture(s), in.resolve(s));
            tsv.append(s).append('\t').append("caption of ").append(s).append("\tshapes\n");
        }
        tsv.append("src_rgb_90x50.png\t\"the same image, a\ttab inside\"\tshapes\n");   // listed twice
        tsv.append("missing.png\tgone\tshapes\n");
        tsv.append("corrupt.png\tbroken\tshapes\n");
        Files.write(in.resolve("corrupt.png"), new byte[]{(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        Files.writeString(in.resolve("m.tsv"), tsv, StandardCharsets.UTF_8);
        Files.writeString(in.resolve("sub/v.csv"), "id,filepath\n7,../src_rgba_40x70.png\n", StandardCharsets.UTF_8);

        List<long[]> progress = new ArrayList<>();
        Path out = tmp.resolve("out");
        ManifestResizer.Summary s = ManifestResizer.builder(16).threads(2)
                .progress((done, total, skipped) -> progress.add(new long[]{done, total, skipped}))
                .build().run(List.of(in.resolve("m.tsv"), in.resolve("sub/v.csv")), out);

        assertEquals(12, s.images());
        assertEquals(9, s.resized());
        assertEquals(1, s.copied());
        assertEquals(2, s.skipped().size());
        assertTrue(s.skipped().stream().anyMatch(m -> m.contains("missing.png")), s.skipped().toString());
        assertTrue(s.skipped().stream().anyMatch(m -> m.contains("corrupt.png")), s.skipped().toString());
        assertEquals(12, s.rows());
        assertEquals(2, s.rowsDropped());
        assertEquals(List.of(out.resolve("m.tsv"), out.resolve("v.csv")), s.manifests());
        assertEquals(12, progress.size());
        for (int i = 0; i < 12; i++) assertEquals(i + 1, progress.get(i)[0]);
        assertArrayEquals(new long[]{12, 12, 2}, progress.get(11));

        List<List<String>> rows = DelimitedTable.readRows(out.resolve("m.tsv"), null);
        assertEquals(List.of("filepath", "title", "category"), rows.get(0));
        assertEquals(SOURCES.length + 2, rows.size());
        for (int i = 0; i < SOURCES.length; i++) {
            List<String> row = rows.get(i + 1);
            String stem = SOURCES[i].substring(0, SOURCES[i].lastIndexOf('.'));
            assertTrue(row.get(0).matches("images/" + stem + "-[0-9a-f]{8}\\.png"), row.get(0));
            assertEquals(List.of("caption of " + SOURCES[i], "shapes"), row.subList(1, 3));
            DecodedImage ours = ImageDecoder.read(out.resolve(row.get(0)));
            DecodedImage pillow = ImageDecoder.read(fixture("exp_" + stem.substring(4) + ".png"));
            assertEquals(pillow, ours, SOURCES[i]);
        }
        assertEquals(List.of(rows.get(1).get(0), "the same image, a\ttab inside", "shapes"), rows.get(SOURCES.length + 1));
        assertEquals(List.of(List.of("id", "filepath"), List.of("7", rows.get(2).get(0))),
                DelimitedTable.readRows(out.resolve("v.csv"), null));

        // sizes, modes and the copy, spelled out
        DecodedImage rgba = ImageDecoder.read(out.resolve(rows.get(2).get(0)));
        assertEquals(List.of(ImageMode.RGBA, 16, 28), List.of(rgba.mode(), rgba.width(), rgba.height()));
        DecodedImage half = ImageDecoder.read(out.resolve(rows.get(7).get(0)));   // 33 x 32: 16.5 rounds to 16
        assertEquals(List.of(16, 16), List.of(half.width(), half.height()));
        DecodedImage palette = ImageDecoder.read(out.resolve(rows.get(3).get(0)));
        assertEquals(List.of(ImageMode.P, 36, 16), List.of(palette.mode(), palette.width(), palette.height()));
        assertArrayEquals(Files.readAllBytes(in.resolve("src_l_12x20.png")), Files.readAllBytes(out.resolve(rows.get(9).get(0))));
        // the resize equals PillowResize on the decoded original
        DecodedImage original = ImageDecoder.read(in.resolve("src_rgb_90x50.png"));
        assertEquals(org.clip4j.core.image.PillowResize.resize(original, 29, 16), ImageDecoder.read(out.resolve(rows.get(1).get(0))));
    }

    @Test
    void refusesToOverwriteItsInput() throws IOException {
        Path m = tmp.resolve("m.tsv");
        Files.writeString(m, "filepath\ttitle\n");
        var e = org.junit.jupiter.api.Assertions.assertThrows(org.clip4j.core.ClipException.class,
                () -> ManifestResizer.builder(64).build().run(List.of(m), tmp));
        assertTrue(e.getMessage().contains("choose another (run's outDir, `--out` of the CLI)"), e.getMessage());
        Files.writeString(m, "path\ttitle\n");
        e = org.junit.jupiter.api.Assertions.assertThrows(org.clip4j.core.ClipException.class,
                () -> ManifestResizer.builder(64).build().run(List.of(m), tmp.resolve("o")));
        assertTrue(e.getMessage().contains("m.tsv") && e.getMessage().contains("'filepath'"), e.getMessage());
    }
}
