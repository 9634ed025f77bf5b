package org.clip4j.eval.data;

import org.clip4j.core.ClipException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.*;

/** Every reader on tiny files written here. */
class DatasetsTest {
    @TempDir
    Path tmp;

    /** Three 2×3 grayscale images, labels 7, 0, 9; gzip and plain files. */
    @Test
    void idxImagesBecomeRgbWithTheirLabels() throws IOException {
        byte[] px = new byte[3 * 2 * 3];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 14);
        IdxFile.write(tmp.resolve("t10k-images-idx3-ubyte"), new int[]{3, 2, 3}, px);
        Path plainLabels = tmp.resolve("labels");
        IdxFile.write(plainLabels, new int[]{3}, new byte[]{7, 0, 9});
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(tmp.resolve("t10k-labels-idx1-ubyte.gz")))) {
            out.write(Files.readAllBytes(plainLabels));
        }
        ClassificationDataset ds = DatasetSpec.parse("fashion-mnist:test:" + tmp).open("train");
        assertEquals(3, ds.size());
        assertArrayEquals(new int[]{7, 0, 9}, ds.labels());
        assertEquals("ankle boot", ds.classes().get(9));
        BufferedImage img = ds.image(1);                 // pixels 6..11 of the file
        assertEquals(3, img.getWidth());
        assertEquals(2, img.getHeight());
        int v = (6 + 1 * 3 + 2) * 14 & 0xff;             // row 1, column 2 of image 1
        assertEquals((v << 16) | (v << 8) | v, img.getRGB(2, 1) & 0xffffff);
        assertEquals("fashion-mnist test (3 images)", ds.describe());
    }

    @Test
    void idxErrorsNameTheFileAndSayHowToInstall() throws IOException {
        ClipException e = assertThrows(ClipException.class, () -> DatasetSpec.parse("fashion-mnist:train:" + tmp).open("test"));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte[.gz]") && e.getMessage().contains("apt-get install dataset-fashion-mnist"),
                e.getMessage());
        Path bad = Files.write(tmp.resolve("bad"), new byte[]{0, 0, 0x0d, 1, 0, 0, 0, 1, 5});
        e = assertThrows(ClipException.class, () -> IdxFile.read(bad));
        assertTrue(e.getMessage().startsWith(bad + ": not an IDX file of unsigned bytes"), e.getMessage());
        Path shortFile = Files.write(tmp.resolve("short"), new byte[]{0, 0, 8, 1, 0, 0, 0, 4, 1, 2});
        e = assertThrows(ClipException.class, () -> IdxFile.read(shortFile));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    /** Two CIFAR-10 records (label 3, then 8) in a test batch; CIFAR-100 uses the fine label. */
    @Test
    void cifarBinaryRecords() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("cifar-10-batches-bin"));
        byte[] rec = new byte[2 * 3073];
        rec[0] = 3;
        rec[1] = (byte) 200;                        // image 0, R plane, pixel (0, 0)
        rec[1 + 1024 + 33] = 17;                    // image 0, G plane, pixel (x 1, y 1)
        rec[3073] = 8;
        rec[3073 + 1 + 2048 + 1023] = (byte) 255;   // image 1, B plane, last pixel
        Files.write(dir.resolve("test_batch.bin"), rec);
        ClassificationDataset c10 = DatasetSpec.parse("cifar10:" + tmp).open("test"); // the parent folder works too
        assertArrayEquals(new int[]{3, 8}, c10.labels());
        assertEquals("cat", c10.classes().get(3));
        assertEquals(200 << 16, c10.image(0).getRGB(0, 0) & 0xffffff);
        assertEquals(17 << 8, c10.image(0).getRGB(1, 1) & 0xffffff);
        assertEquals(255, c10.image(1).getRGB(31, 31) & 0xffffff);

        Path d100 = Files.createDirectories(tmp.resolve("c100"));
        byte[] r100 = new byte[3074];
        r100[0] = 4;      // coarse
        r100[1] = 99;     // fine
        Files.write(d100.resolve("train.bin"), r100);
        ClassificationDataset c100 = DatasetSpec.parse("cifar100:train:" + d100).open("test");
        assertEquals(99, c100.label(0));
        assertEquals(100, c100.classes().size());

        ClipException e = assertThrows(ClipException.class, () -> DatasetSpec.parse("cifar10:train:" + tmp).open("test"));
        assertTrue(e.getMessage().contains("data_batch_1.bin") && e.getMessage().contains("cifar-10-binary.tar.gz"), e.getMessage());
        Files.write(dir.resolve("test_batch.bin"), new byte[100]);
        e = assertThrows(ClipException.class, () -> CifarDataset.open("cifar10", "test", tmp));
        assertTrue(e.getMessage().contains("not a whole number of cifar10 records"), e.getMessage());
    }

    @Test
    void imageFolderSortsClassesAndFiles() throws IOException {
        png(tmp.resolve("root/zebra/b.png"), 0x0000ff);
        png(tmp.resolve("root/zebra/a.png"), 0x00ff00);
        png(tmp.resolve("root/ant/x.png"), 0xff0000);
        Files.createDirectories(tmp.resolve("root/empty"));
        Files.writeString(tmp.resolve("root/ant/notes.txt"), "not an image");
        ImageFolderDataset ds = (ImageFolderDataset) DatasetSpec.parse("imagefolder:" + tmp.resolve("root")).open("test");
        assertEquals(List.of("ant", "zebra"), ds.classes());
        assertEquals(3, ds.size());
        assertArrayEquals(new int[]{0, 1, 1}, ds.labels());
        assertEquals("a.png", ds.file(1).getFileName().toString());
        assertEquals(0x00ff00, ds.image(1).getRGB(0, 0) & 0xffffff);
        assertThrows(ClipException.class, () -> new ImageFolderDataset(tmp.resolve("root/empty")));
    }

    @Test
    void csvAndTsvManifests() throws IOException {
        png(tmp.resolve("img/1.png"), 0x112233);
        png(tmp.resolve("img/2.png"), 0x445566);
        Files.writeString(tmp.resolve("m.csv"), "label,path\n\"dog, small\",img/1.png\ncat,img/2.png\n\"dog, small\",img/2.png\n");
        ManifestDataset m = (ManifestDataset) DatasetSpec.parse("csv:" + tmp.resolve("m.csv")).open("test");
        assertEquals(List.of("cat", "dog, small"), m.classes());
        assertArrayEquals(new int[]{1, 0, 1}, m.labels());
        assertEquals(tmp.resolve("img/2.png").toAbsolutePath(), m.file(1));
        assertEquals(0x112233, m.image(0).getRGB(0, 0) & 0xffffff);

        Files.writeString(tmp.resolve("oc.tsv"), "filepath\ttitle\tcategory\nimg/1.png\tred fox\tanimals\nimg/2.png\tsun\tplants\nimg/1.png\tfox sitting\tanimals\n");
        ClassificationDataset oc = DatasetSpec.parse("openclipart:" + tmp.resolve("oc.tsv")).open("test");
        // every split has the 22 categories of the package, whichever of them it contains
        assertEquals(ManifestDataset.OPENCLIPART_CATEGORIES, oc.classes());
        assertEquals(22, oc.classes().size());
        assertArrayEquals(new int[]{0, 13, 0}, oc.labels());
        assertEquals(22, org.clip4j.eval.PromptSet.builtin("openclipart").classes().size());
        Files.writeString(tmp.resolve("oc-bad.tsv"), "filepath\ttitle\tcategory\nimg/1.png\tx\tnature\n");
        ClipException unknown = assertThrows(ClipException.class, () -> DatasetSpec.parse("openclipart:" + tmp.resolve("oc-bad.tsv")).open("test"));
        assertTrue(unknown.getMessage().contains("'nature'"), unknown.getMessage());
        CaptionDataset cap = DatasetSpec.parse("openclipart:" + tmp.resolve("oc.tsv")).openCaptions();
        assertEquals(2, cap.images().size());
        assertEquals(List.of("red fox", "sun", "fox sitting"), cap.captions());
        assertArrayEquals(new int[]{0, 1, 0}, cap.textToImage());

        Files.writeString(tmp.resolve("bad.csv"), "file,name\nimg/1.png,x\n");
        ClipException e = assertThrows(ClipException.class, () -> new ManifestDataset(tmp.resolve("bad.csv")));
        assertTrue(e.getMessage().contains("no label column") && e.getMessage().contains("[file, name]"), e.getMessage());
        Files.writeString(tmp.resolve("ragged.csv"), "path,label\na.png\n");
        e = assertThrows(ClipException.class, () -> new ManifestDataset(tmp.resolve("ragged.csv")));
        assertTrue(e.getMessage().contains("row 2 has 1 fields"), e.getMessage());
    }

    @Test
    void specParsing() {
        DatasetSpec s = DatasetSpec.parse("fashion-mnist");
        assertNull(s.split());
        assertNull(s.location());
        assertEquals(new DatasetSpec("cifar10", "train", Path.of("/d")), DatasetSpec.parse("cifar10:train:/d"));
        assertEquals(new DatasetSpec("cifar100", null, Path.of("/d")), DatasetSpec.parse("cifar100:/d"));
        assertThrows(ClipException.class, () -> DatasetSpec.parse("imagenet:/x"));
        ClipException e = assertThrows(ClipException.class, () -> DatasetSpec.parse("cifar10:test"));
        assertTrue(e.getMessage().contains("needs a folder"), e.getMessage());
        e = assertThrows(ClipException.class, () -> DatasetSpec.parse("imagefolder:" + tmp).openCaptions());
        assertTrue(e.getMessage().contains("has no captions"), e.getMessage());
    }

    private static void png(Path p, int rgb) throws IOException {
        Files.createDirectories(p.getParent());
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 4; y++) for (int x = 0; x < 4; x++) img.setRGB(x, y, rgb);
        ImageIO.write(img, "png", p.toFile());
    }
}
