package org.clip4j.eval.data;

import org.clip4j.core.ClipException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Issue 13 items 8 and 10: invalid UTF-8 names its line; retrieval rows without a caption are skipped and counted. */
class ManifestFaultsTest {
    @TempDir
    Path tmp;

    @Test
    void invalidUtf8NamesTheLine() throws IOException {
        Path m = tmp.resolve("m.tsv");
        byte[] head = "filepath\ttitle\na.png\tfine\nb.png\tcaf".getBytes(StandardCharsets.UTF_8);
        byte[] bad = {(byte) 0xe9, '\n'}; // Latin-1 é: not UTF-8
        byte[] all = new byte[head.length + bad.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(bad, 0, all, head.length, bad.length);
        Files.write(m, all);
        ClipException e = assertThrows(ClipException.class, () -> DelimitedTable.readRows(m, null));
        assertTrue(e.getMessage().contains("m.tsv: line 3 is not valid UTF-8"), e.getMessage());
        assertTrue(e.getMessage().contains("e9"), e.getMessage());
    }

    @Test
    void emptyCaptionsAndPathsAreSkippedAndCounted() throws IOException {
        Path m = tmp.resolve("c.csv");
        Files.writeString(m, "filepath,caption\na.png,a cat\nb.png,\n,orphan caption\na.png,another cat\nc.png,a dog\n");
        CaptionDataset d = CaptionDataset.fromManifest(m);
        assertEquals(2, d.skippedRows());
        assertEquals(List.of("a cat", "another cat", "a dog"), d.captions());
        assertEquals(2, d.images().size());
        assertArrayEquals(new int[]{0, 0, 1}, d.textToImage());

        CaptionDataset noA = d.without(Set.of(0)); // a.png unreadable: its two captions go too
        assertEquals(List.of(tmp.resolve("c.png").toAbsolutePath()), noA.images());
        assertEquals(List.of("a dog"), noA.captions());
        assertArrayEquals(new int[]{0}, noA.textToImage());
        assertEquals(4, noA.skippedRows());
        assertThrows(ClipException.class, () -> d.without(Set.of(0, 1)));
    }
}
