package org.clip4j.train.data.wds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.clip4j.core.ClipException;
import org.clip4j.core.image.ImageDecoder;
import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.tokenizer.ClipTokenizer;
import org.clip4j.train.data.Batch;
import org.clip4j.train.data.BatchLoader;
import org.clip4j.train.data.CsvManifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class WebDatasetTest {
    @TempDir
    Path tmp;

    private static byte[] encode(int rgb, String format) throws IOException {
        BufferedImage img = new BufferedImage(6, 4, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 4; y++) for (int x = 0; x < 6; x++) img.setRGB(x, y, x == y ? 0xffffff : rgb);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertTrue(ImageIO.write(img, format, out));
        return out.toByteArray();
    }

    /** Seven rows: png, jpg alternately; row 4's file is missing and row 5 is a .gif: both skipped. */
    private Path manifest() throws IOException {
        StringBuilder sb = new StringBuilder("filepath\ttitle\n");
        for (int i = 0; i < 7; i++) {
            String name = "img" + i + (i == 5 ? ".gif" : i % 2 == 0 ? ".png" : ".jpg");
            if (i != 4) Files.write(tmp.resolve(name), encode(0x102030 * (i + 1), i == 5 ? "gif" : i % 2 == 0 ? "png" : "jpg"));
            sb.append(name).append('\t').append("caption ").append(i).append(" \u00e9t\u00e9").append('\n');
        }
        Path tsv = tmp.resolve("m.tsv");
        Files.writeString(tsv, sb, StandardCharsets.UTF_8);
        return tsv;
    }

    @Test
    void shardsReadBackIdentically() throws IOException {
        CsvManifest m = CsvManifest.read(manifest());
        Path out = tmp.resolve("shards");
        ShardWriter.Summary s = ShardWriter.write(m, out, 2);
        assertEquals(5, s.samples());
        assertEquals(2, s.skipped());
        assertEquals(List.of(out.resolve("000000.tar"), out.resolve("000001.tar"), out.resolve("000002.tar")), s.shards());
        assertEquals(Map.of("000000.tar", 2L, "000001.tar", 2L, "000002.tar", 1L), ShardSizes.read(out));
        try (var files = Files.list(out)) {
            assertEquals(Set.of("000000.tar", "000001.tar", "000002.tar", "sizes.json"),
                    new HashSet<>(files.map(p -> p.getFileName().toString()).toList()), "no temporary files left");
        }

        WebDatasetSource w = WebDatasetSource.open(out + "/{000000..000002}.tar");
        assertEquals(5, w.size());
        int[] rows = {0, 1, 2, 3, 6};
        String[] keys = {"000000", "000001", "000010", "000011", "000020"};
        for (int j = 0; j < 5; j++) {
            assertEquals("caption " + rows[j] + " \u00e9t\u00e9", w.caption(j));
            assertArrayEquals(Files.readAllBytes(m.imagePath(rows[j])), w.imageBytes(j));
            assertEquals(keys[j], w.key(j));
            assertEquals(ImageDecoder.read(m.imagePath(rows[j])), w.image(j));
            JsonNode meta = new ObjectMapper().readTree(w.metadata(j));
            assertEquals(keys[j], meta.get("key").asText());
            assertEquals(m.imagePath(rows[j]).toString(), meta.get("source").asText());
        }
        // a second writing gives the same bytes (fixed member times, manifest order)
        ShardWriter.write(m, tmp.resolve("again"), 2);
        assertArrayEquals(Files.readAllBytes(out.resolve("000001.tar")), Files.readAllBytes(tmp.resolve("again/000001.tar")));
    }

    @Test
    void samplesAreCountedWithoutSizesJsonAndSourcesJoin() throws IOException {
        CsvManifest m = CsvManifest.read(manifest());
        ShardWriter.write(m, tmp.resolve("a"), 3);
        ShardWriter.write(m, tmp.resolve("b"), 10);
        Files.delete(tmp.resolve("b/sizes.json"));
        WebDatasetSource w = WebDatasetSource.open(tmp.resolve("a") + "/{000000..000001}.tar::" + tmp.resolve("b/000000.tar"));
        assertEquals(3, w.shards().size());
        assertEquals(3, w.shardSize(0));
        assertEquals(2, w.shardSize(1));
        assertEquals(5, w.shardSize(2), "counted by a pass");
        assertEquals(10, w.size());
        assertEquals("caption 2 \u00e9t\u00e9", w.caption(2));
        assertEquals("caption 0 \u00e9t\u00e9", w.caption(5));
        assertEquals("caption 6 \u00e9t\u00e9", w.caption(9));
        ClipException e = assertThrows(ClipException.class, () -> WebDatasetSource.open(tmp.resolve("a") + "/{000000..000003}.tar"));
        assertTrue(e.getMessage().contains("000002.tar") && e.getMessage().contains("no such shard"), e.getMessage());
    }

    private static void member(TarArchiveOutputStream tar, String name, byte[] data) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    /** Six samples; 2 has bad image bytes, 3 no caption, 4 no image; 5 lies in a sub-folder with extra members. */
    private Path handMadeShard() throws IOException {
        Path shard = tmp.resolve("hand.tar");
        try (OutputStream os = Files.newOutputStream(shard); TarArchiveOutputStream tar = new TarArchiveOutputStream(os)) {
            member(tar, "s0.png", encode(0xff0000, "png"));
            member(tar, "s0.txt", "red".getBytes(StandardCharsets.UTF_8));
            member(tar, "s1.txt", "green".getBytes(StandardCharsets.UTF_8));
            member(tar, "s1.JPG", encode(0x00ff00, "jpg"));
            member(tar, "s2.jpg", new byte[]{(byte) 0xff, (byte) 0xd8, 1, 2, 3});
            member(tar, "s2.txt", "broken".getBytes(StandardCharsets.UTF_8));
            member(tar, "s3.png", encode(0x0000ff, "png"));
            member(tar, "s4.txt", "no image".getBytes(StandardCharsets.UTF_8));
            member(tar, "__meta__.txt", "ignored".getBytes(StandardCharsets.UTF_8));
            member(tar, "sub/s5.seg.png", encode(0, "png"));
            member(tar, "sub/s5.png", encode(0x808080, "png"));
            member(tar, "sub/s5.txt", "grey".getBytes(StandardCharsets.UTF_8));
            member(tar, "sub/s5.cls", "7".getBytes(StandardCharsets.UTF_8));
        }
        return shard;
    }

    @Test
    void membersGroupByKeyAndCorruptOnesNameTheShardAndMember() throws IOException {
        Path shard = handMadeShard();
        List<ShardSample> index = ShardIndex.build(shard);
        assertEquals(List.of("s0", "s1", "s2", "s3", "s4", "sub/s5"), index.stream().map(ShardSample::key).toList());
        assertEquals("s1.JPG", index.get(1).image().name());
        assertNull(index.get(3).text());
        assertNull(index.get(4).image());
        assertEquals("sub/s5.png", index.get(5).image().name(), "seg.png is another extension, not the image");

        WebDatasetSource w = WebDatasetSource.open(shard.toString());
        assertEquals(6, w.size());
        assertEquals("grey", w.caption(5));
        assertEquals(128, w.image(5).samples()[3] & 0xff, "pixel (1, 0) of the grey sub/s5.png");
        ClipException bad = assertThrows(ClipException.class, () -> w.image(2));
        assertTrue(bad.getMessage().contains("hand.tar:s2.jpg"), bad.getMessage());
        ClipException noText = assertThrows(ClipException.class, () -> w.caption(3));
        assertTrue(noText.getMessage().contains("hand.tar") && noText.getMessage().contains("'s3' has no .txt"), noText.getMessage());
        ClipException noImage = assertThrows(ClipException.class, () -> w.image(4));
        assertTrue(noImage.getMessage().contains("'s4' has no image member"), noImage.getMessage());
    }

    @Test
    void loaderSkipsAndCountsCorruptSamplesEveryEpoch() throws IOException {
        Path shard = handMadeShard();
        Files.writeString(tmp.resolve("sizes.json"), "{\"hand.tar\": 6}");
        WebDatasetSource w = WebDatasetSource.open(shard.toString());
        List<long[]> seen = new ArrayList<>();
        try (BatchLoader l = new BatchLoader(w, ImagePreprocessor.clip(16), ClipTokenizer.openai(), 8, 3, false, 0, 0, 2, 1)) {
            Batch a = l.next(), b = l.next();
            seen.add(a.indices());
            seen.add(b.indices());
            assertEquals(3, a.skipped(), "bad image, missing caption, missing image");
            assertEquals(3, b.skipped(), "the same three in the next epoch");
            assertTrue(l.skipped() >= 6, "the loader counts what it prefetched too: " + l.skipped());
            a.close();
            b.close();
        }
        // stream 0 1 (2 3 4 bad) 5 | 0 1 (2 3 4) 5 ...
        assertArrayEquals(new long[]{0, 1, 5}, seen.get(0));
        assertArrayEquals(new long[]{0, 1, 5}, seen.get(1));

        // sizes.json claiming more samples than the shard holds: the missing ones fail, named
        Files.writeString(tmp.resolve("sizes.json"), "{\"hand.tar\": 7}");
        WebDatasetSource over = WebDatasetSource.open(shard.toString());
        assertEquals(7, over.size());
        ClipException e = assertThrows(ClipException.class, () -> over.caption(6));
        assertTrue(e.getMessage().contains("records 7 samples but the shard holds 6"), e.getMessage());
        Files.writeString(tmp.resolve("sizes.json"), "{\"hand.tar\": \"six\"}");
        ClipException bad = assertThrows(ClipException.class, () -> WebDatasetSource.open(shard.toString()));
        assertTrue(bad.getMessage().contains("sizes.json") && bad.getMessage().contains("hand.tar"), bad.getMessage());
    }

    @Test
    void aTruncatedShardIsSkippedNotFatal() throws IOException {
        Path shard = handMadeShard();
        byte[] all = Files.readAllBytes(shard);
        Path cut = tmp.resolve("cut.tar");
        Files.write(cut, Arrays.copyOf(all, 700));
        Files.writeString(tmp.resolve("sizes.json"), "{\"cut.tar\": 2}");
        WebDatasetSource w = WebDatasetSource.open(shard + "::" + cut);
        assertEquals(8, w.size());
        assertEquals("red", w.caption(0));
        ClipException e = assertThrows(ClipException.class, () -> w.caption(6));
        assertTrue(e.getMessage().contains("cut.tar"), e.getMessage());
    }

    /** Issue 13 item 9: a tar cut inside sample 7 of 16 keeps the 6 whole samples before the cut. */
    @Test
    void aShardCutInsideASampleKeepsTheSamplesBeforeTheCut() throws IOException {
        Path full = tmp.resolve("full.tar");
        try (OutputStream os = Files.newOutputStream(full); TarArchiveOutputStream tar = new TarArchiveOutputStream(os)) {
            for (int i = 0; i < 16; i++) {
                member(tar, String.format("%06d.png", i), encode(0x101010 * (i + 1), "png"));
                member(tar, String.format("%06d.txt", i), ("caption " + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        long cutAt;
        try (org.apache.commons.compress.archivers.tar.TarFile t = new org.apache.commons.compress.archivers.tar.TarFile(full)) {
            TarArchiveEntry seventhImage = t.getEntries().get(12); // 000006.png
            assertEquals("000006.png", seventhImage.getName());
            cutAt = seventhImage.getDataOffset() + seventhImage.getSize() / 2;
        }
        Path dir = Files.createDirectory(tmp.resolve("cut"));
        Path cut = dir.resolve("000000.tar");
        Files.write(cut, Arrays.copyOf(Files.readAllBytes(full), (int) cutAt));

        WebDatasetSource w = WebDatasetSource.open(cut.toString());
        assertEquals(6, w.size(), "the six whole samples before the cut");
        for (int i = 0; i < 6; i++) {
            assertEquals("caption " + i, w.caption(i));
            assertEquals(0x10 * (i + 1), w.image(i).samples()[3] & 0xff, "pixel (1, 0) of sample " + i);
        }

        // with a sizes.json recording 16, the 10 lost samples are skipped and counted by the loader
        Files.writeString(dir.resolve("sizes.json"), "{\"000000.tar\": 16}");
        WebDatasetSource listed = WebDatasetSource.open(cut.toString());
        assertEquals(16, listed.size());
        try (BatchLoader l = new BatchLoader(listed, ImagePreprocessor.clip(16), ClipTokenizer.openai(), 8, 6, false, 0, 0, 1, 1)) {
            Batch b = l.next();
            assertArrayEquals(new long[]{0, 1, 2, 3, 4, 5}, b.indices());
            b.close();
            Batch next = l.next(); // the next epoch's six, after the 10 lost ones
            assertEquals(10, next.skipped(), "samples 6..15 of the cut shard");
            next.close();
        }
    }

    /** Issue 13 item 9: an empty (0-byte) shard without sizes.json is reported, not silently counted as 0. */
    @Test
    void anEmptyShardIsReported() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("empty"));
        Path shard = handMadeShard();
        Path empty = Files.createFile(dir.resolve("000001.tar"));
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.err;
        WebDatasetSource w;
        System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            w = WebDatasetSource.open(shard + "::" + empty);
        } finally {
            System.setErr(old);
        }
        assertEquals(6, w.size());
        assertEquals(0, w.shardSize(1));
        String log = err.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("000001.tar: holds no samples (0 bytes): an empty file"), log);
    }
}
