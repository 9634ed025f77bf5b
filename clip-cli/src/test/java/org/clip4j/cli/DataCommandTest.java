package org.clip4j.cli;

import org.clip4j.train.data.CsvManifest;
import org.clip4j.train.data.SyntheticShapes;
import org.clip4j.train.data.wds.WebDatasetSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** {@code clip data shard}, {@code clip data openclipart}, {@code clip data resize} and {@code clip train --data SHARDS}. */
class DataCommandTest {
    @TempDir
    Path tmp;

    private static final String TINY = "{\"embed_dim\":16,\"quick_gelu\":true,"
            + "\"vision_cfg\":{\"image_size\":32,\"layers\":1,\"width\":32,\"patch_size\":8,\"head_width\":16},"
            + "\"text_cfg\":{\"context_length\":16,\"vocab_size\":49408,\"width\":32,\"heads\":2,\"layers\":1}}";

    /** Twelve rendered shapes as PNG files; a comma-separated manifest with other column names. */
    private Path manifest() throws IOException {
        SyntheticShapes shapes = SyntheticShapes.training(1, 32);
        StringBuilder sb = new StringBuilder("image;text\n");
        for (int i = 0; i < 12; i++) {
            ImageIO.write(shapes.sample(i).image(), "png", tmp.resolve("s" + i + ".png").toFile());
            sb.append("s").append(i).append(".png;").append(shapes.sample(i).caption()).append('\n');
        }
        Path m = tmp.resolve("pairs.txt");
        Files.writeString(m, sb, StandardCharsets.UTF_8);
        return m;
    }

    @Test
    void shardThenTrainOnTheShards() throws IOException {
        Path m = manifest();
        Path out = tmp.resolve("shards");
        try (CliRun r = CliRun.of("data", "shard", "--manifest", m.toString(), "--out", out.toString(),
                "--samples-per-shard", "5", "--csv-img-key", "image", "--csv-caption-key", "text", "--csv-separator", ";")) {
            assertEquals(0, r.exit, r.err());
            assertTrue(r.out().startsWith("wrote 12 pairs in 3 shards to " + out + " (0 skipped)"), r.out());
            assertTrue(r.out().contains("--data '" + out.resolve("{000000..000002}.tar") + "'"), r.out());
        }
        CsvManifest pairs = CsvManifest.read(m, "image", "text", ';');
        WebDatasetSource w = WebDatasetSource.open(out + "/{000000..000002}.tar");
        assertEquals(12, w.size());
        for (int i = 0; i < 12; i++) {
            assertEquals(pairs.caption(i), w.caption(i));
            assertArrayEquals(Files.readAllBytes(pairs.imagePath(i)), w.imageBytes(i));
        }

        Path cfg = tmp.resolve("tiny.json");
        Files.writeString(cfg, TINY);
        try (CliRun r = CliRun.of("train", "--model", cfg.toString(), "--data", out + "/{000000..000001}.tar::" + out + "/000002.tar",
                "--batch-size", "4", "--steps", "2", "--data-threads", "1")) {
            assertEquals(0, r.exit, r.err());
            assertTrue(r.out().contains("trained 2 steps (8 samples, 0 skipped)"), r.out());
        }
        try (CliRun r = CliRun.of("train", "--model", cfg.toString(), "--data", out + "/{000000..000003}.tar", "--steps", "1")) {
            assertEquals(1, r.exit);
            assertTrue(r.err().contains("000003.tar: no such shard"), r.err());
        }
    }

    @Test
    void resizeWritesSmallCopiesAndAManifest() throws IOException {
        Path m = manifest();
        Path out = tmp.resolve("small");
        try (CliRun r = CliRun.of("data", "resize", "--manifest", m.toString(), "--out", out.toString(), "--shorter-side", "16",
                "--threads", "2", "--csv-img-key", "image", "--csv-separator", ";")) {
            assertEquals(0, r.exit, r.err());
            assertTrue(r.out().startsWith("12 images: 12 resized, 0 already small enough, 0 skipped (unreadable or too large); 12 rows written, 0 left out"),
                    r.out());
            assertTrue(r.out().contains(out.resolve("pairs.txt").toString()), r.out());
            assertTrue(r.err().contains("images 12/12"), r.err());
        }
        CsvManifest before = CsvManifest.read(m, "image", "text", ';');
        CsvManifest after = CsvManifest.read(out.resolve("pairs.txt"), "image", "text", ';');
        assertEquals(12, after.size());
        for (int i = 0; i < 12; i++) {
            assertEquals(before.caption(i), after.caption(i));
            assertEquals(out.resolve("images"), after.imagePath(i).getParent());
            assertEquals(16, after.image(i).width());
            assertEquals(16, after.image(i).height());
        }
        // the copies train, here with samples drawn with replacement
        Path cfg = tmp.resolve("tiny.json");
        Files.writeString(cfg, TINY);
        try (CliRun r = CliRun.of("train", "--model", cfg.toString(), "--data", out.resolve("pairs.txt").toString(),
                "--csv-img-key", "image", "--csv-caption-key", "text", "--csv-separator", ";", "--dataset-resampled",
                "--batch-size", "4", "--steps", "2", "--data-threads", "1")) {
            assertEquals(0, r.exit, r.err());
            assertTrue(r.out().contains("trained 2 steps (8 samples, 0 skipped)"), r.out());
        }
        try (CliRun r = CliRun.of("data", "resize", "--manifest", m.toString(), "--out", out.toString(), "--shorter-side", "16")) {
            assertEquals(1, r.exit);
            assertTrue(r.err().contains("pairs.txt: header [image;text] lacks column 'filepath'"), r.err());
        }
    }

    @Test
    void openclipartWithoutThePackagesSaysWhatToInstall() {
        try (CliRun r = CliRun.of("data", "openclipart", "--out", tmp.resolve("oc").toString(),
                "--png-dir", tmp.resolve("missing/png").toString(), "--svg-dir", tmp.resolve("missing/svg").toString())) {
            assertEquals(1, r.exit);
            assertTrue(r.err().startsWith("clip: error: " + tmp.resolve("missing/png")), r.err());
            assertTrue(r.err().contains("apt-get install openclipart-png openclipart-svg"), r.err());
        }
    }

    @Test
    void openclipartWritesManifestsAndASummary() throws IOException {
        Path png = tmp.resolve("png/animals/cat.png"), svg = tmp.resolve("svg/animals/cat.svg");
        Files.createDirectories(png.getParent());
        Files.createDirectories(svg.getParent());
        ImageIO.write(SyntheticShapes.training(1, 16).sample(0).image(), "png", png.toFile());
        Files.writeString(svg, "<svg xmlns='http://www.w3.org/2000/svg'><title>Cat</title></svg>");
        try (CliRun r = CliRun.of("data", "openclipart", "--out", tmp.resolve("oc").toString(),
                "--png-dir", tmp.resolve("png").toString(), "--svg-dir", tmp.resolve("svg").toString())) {
            assertEquals(0, r.exit, r.err());
            assertTrue(r.out().startsWith("1 pairs: train "), r.out());
            assertTrue(r.out().contains("categories: {animals=1}"), r.out());
        }
        long rows = 0;
        for (String f : new String[]{"train.tsv", "val.tsv", "test.tsv"}) {
            CsvManifest m = CsvManifest.read(tmp.resolve("oc").resolve(f));
            rows += m.size();
            if (m.size() == 1) assertEquals("Cat", m.caption(0));
        }
        assertEquals(1, rows);
    }
}
