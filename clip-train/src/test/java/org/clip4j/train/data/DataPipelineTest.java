package org.clip4j.train.data;

import org.clip4j.core.ClipException;
import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.image.TrainTransform;
import org.clip4j.core.tokenizer.ClipTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class DataPipelineTest {
    @TempDir
    Path tmp;

    @Test
    void csvQuotingSeparatorsAndColumns() throws IOException {
        Path csv = tmp.resolve("m.csv");
        Files.writeString(csv, "\uFEFFid,filepath,title\n1,a.png,\"a cat, sitting\"\n2,sub/b.png,\"say \"\"hi\"\"\nthere\"\r\n\n3,/abs/c.png,plain\n",
                StandardCharsets.UTF_8);
        CsvManifest m = CsvManifest.read(csv);
        assertEquals(3, m.size());
        assertEquals("a cat, sitting", m.caption(0));
        assertEquals("say \"hi\"\nthere", m.caption(1));
        assertEquals(tmp.toAbsolutePath().resolve("sub/b.png"), m.imagePath(1));
        assertEquals(Path.of("/abs/c.png"), m.imagePath(2));

        Path tsv = tmp.resolve("m.tsv");
        Files.writeString(tsv, "image\tcaption\nx.jpg\ta, b\n", StandardCharsets.UTF_8);
        CsvManifest t = CsvManifest.read(tsv, "image", "caption", null);
        assertEquals("a, b", t.caption(0));
        ClipException e = assertThrows(ClipException.class, () -> CsvManifest.read(tsv));
        assertTrue(e.getMessage().contains("m.tsv") && e.getMessage().contains("filepath"), e.getMessage());
        Files.writeString(tmp.resolve("bad.csv"), "filepath,title\n\"open", StandardCharsets.UTF_8);
        assertThrows(ClipException.class, () -> CsvManifest.read(tmp.resolve("bad.csv")));
    }

    /** A manifest of 10 rendered images; rows 3 and 7 are a corrupt file and a missing file. */
    private Path manifest() throws IOException {
        SyntheticShapes shapes = SyntheticShapes.training(3, 40);
        StringBuilder sb = new StringBuilder("filepath,title\n");
        for (int i = 0; i < 10; i++) {
            String name = "img" + i + ".png";
            if (i == 3) Files.write(tmp.resolve(name), new byte[]{(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
            else if (i != 7) ImageIO.write(shapes.sample(i).image(), "png", tmp.resolve(name).toFile());
            sb.append(name).append(",\"").append(shapes.sample(i).caption()).append("\"\n");
        }
        Path csv = tmp.resolve("train.csv");
        Files.writeString(csv, sb.toString(), StandardCharsets.UTF_8);
        return csv;
    }

    @Test
    void batchesInManifestOrderSkipBadSamplesAndResumeExactly() throws IOException {
        CsvManifest m = CsvManifest.read(manifest());
        ImagePreprocessor pre = ImagePreprocessor.clip(32);
        ClipTokenizer tok = ClipTokenizer.openai();
        List<Batch> run = new ArrayList<>();
        try (BatchLoader l = new BatchLoader(m, pre, tok, 16, 4, false, 0, 0, 2, 2)) {
            for (int i = 0; i < 5; i++) run.add(l.next());
            assertTrue(l.skipped() >= 4, "corrupt and missing rows are skipped every epoch: " + l.skipped());
        }
        // stream: 0 1 2 (3 bad) 4 5 6 (7 missing) 8 9 | 0 1 2 (3) 4 ...
        assertArrayEquals(new long[]{0, 1, 2, 4}, run.get(0).indices());
        assertEquals(5, run.get(0).positionAfter());
        assertEquals(1, run.get(0).skipped());
        assertArrayEquals(new long[]{5, 6, 8, 9}, run.get(1).indices());
        assertArrayEquals(new long[]{0, 1, 2, 4}, run.get(2).indices());
        assertEquals(15, run.get(2).positionAfter());
        // contents equal the per-sample preprocessing and tokenisation
        float[] px = run.get(1).images().get(org.nd4j.linalg.indexing.NDArrayIndex.point(2)).dup().data().asFloat();
        assertArrayEquals(pre.apply(m.imagePath(8)), px, 0f);
        assertArrayEquals(tok.tokenize(List.of(m.caption(8)), 16, true)[0], run.get(1).ids().getRow(2).toLongVector());
        // resuming at a batch boundary gives the batches that followed
        try (BatchLoader l = new BatchLoader(m, pre, tok, 16, 4, false, 0, run.get(1).positionAfter(), 2, 2)) {
            for (int i = 2; i < 5; i++) {
                try (Batch b = l.next()) {
                    assertArrayEquals(run.get(i).indices(), b.indices());
                    assertEquals(run.get(i).images(), b.images());
                    assertEquals(run.get(i).ids(), b.ids());
                }
            }
        }
        run.forEach(Batch::close);
    }

    @Test
    void shuffleIsADeterministicPermutationPerEpoch() {
        long[] a = SampleOrder.permutation(100, 7, 0), b = SampleOrder.permutation(100, 7, 0), c = SampleOrder.permutation(100, 7, 1);
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
        long[] sorted = a.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < 100; i++) assertEquals(i, sorted[i]);
        SyntheticSource src = new SyntheticSource(SyntheticShapes.training(1, 32), 50);
        try (BatchLoader l1 = new BatchLoader(src, ImagePreprocessor.clip(32), ClipTokenizer.openai(), 16, 8, true, 5, 0, 2, 3);
             BatchLoader l2 = new BatchLoader(src, ImagePreprocessor.clip(32), ClipTokenizer.openai(), 16, 8, true, 5, 0, 1, 1)) {
            for (int i = 0; i < 8; i++) { // crosses epoch boundaries; thread counts do not change anything
                try (Batch x = l1.next(); Batch y = l2.next()) {
                    assertArrayEquals(x.indices(), y.indices());
                    assertEquals(x.images(), y.images());
                }
            }
        }
    }

    @Test
    void augmentationIsSeededByStreamPositionSoResumeAndReloadSeeTheSamePixels() throws IOException {
        CsvManifest m = CsvManifest.read(manifest());
        ImagePreprocessor pre = ImagePreprocessor.clip(32);
        TrainTransform aug = TrainTransform.openClip(32);
        ClipTokenizer tok = ClipTokenizer.openai();
        List<Batch> run = new ArrayList<>();
        try (BatchLoader l = new BatchLoader(m, pre, aug, tok, 16, 4, false, 9, 0, 2, 2)) {
            for (int i = 0; i < 4; i++) run.add(l.next());
            // the second feature-caching pass reloads the same augmented pixels
            try (org.nd4j.linalg.api.ndarray.INDArray again = l.reload(run.get(2).indices(), run.get(2).positions())) {
                assertEquals(run.get(2).images(), again);
            }
            // each sample is the transform of its image with the seed of its stream position
            long pos = run.get(1).positions()[2], idx = run.get(1).indices()[2];
            float[] want = aug.apply(m.image(idx), l.augmentSeed(pos));
            assertArrayEquals(want, run.get(1).images().get(org.nd4j.linalg.indexing.NDArrayIndex.point(2)).dup().data().asFloat(), 0f);
            assertFalse(Arrays.equals(pre.apply(m.image(idx)), want), "augmented pixels differ from the evaluation transform");
        }
        // epoch 2 (positions 10..19) shows the same images with other crops than epoch 1
        assertArrayEquals(run.get(0).indices(), run.get(2).indices());
        assertNotEquals(run.get(0).images(), run.get(2).images());
        // resuming mid-stream reproduces the augmented batches
        try (BatchLoader l = new BatchLoader(m, pre, aug, tok, 16, 4, false, 9, run.get(0).positionAfter(), 1, 1)) {
            for (int i = 1; i < 4; i++) {
                try (Batch b = l.next()) {
                    assertArrayEquals(run.get(i).positions(), b.positions());
                    assertEquals(run.get(i).images(), b.images());
                }
            }
        }
        run.forEach(Batch::close);
    }
}
