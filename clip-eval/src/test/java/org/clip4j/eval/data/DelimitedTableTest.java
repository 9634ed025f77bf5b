package org.clip4j.eval.data;

import org.clip4j.core.ClipException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DelimitedTableTest {
    @TempDir
    Path tmp;

    @Test
    void tsvHonoursQuotesAsPandasDoes() throws IOException {
        Path f = tmp.resolve("m.tsv");
        Files.writeString(f, "\uFEFFfilepath\ttitle\r\na.png\t\"tab\there, \"\"quoted\"\"\nand a new line\"\n\nb.png\tsay \"hi\"\n",
                StandardCharsets.UTF_8);
        DelimitedTable t = DelimitedTable.read(f);
        assertEquals(List.of("filepath", "title"), t.header());
        assertEquals(List.of(List.of("a.png", "tab\there, \"quoted\"\nand a new line"), List.of("b.png", "say \"hi\"")), t.rows());
    }

    @Test
    void csvQuotesAndRowsOfOtherLengths() throws IOException {
        Path f = tmp.resolve("m.csv");
        Files.writeString(f, "a,b\n1,\"x,y\"\n2\n\"\",3,4", StandardCharsets.UTF_8);
        assertEquals(List.of(List.of("a", "b"), List.of("1", "x,y"), List.of("2"), List.of("", "3", "4")),
                DelimitedTable.readRows(f, null));
        // a quote inside a field is literal
        assertEquals(List.of(List.of("a,b"), List.of("1,\"x,y\"")), DelimitedTable.parse(f, "a,b\n1,\"x,y\"\n", ';'));
        ClipException ragged = assertThrows(ClipException.class, () -> DelimitedTable.read(f));
        assertTrue(ragged.getMessage().contains("m.csv: row 3 has 1 fields"), ragged.getMessage());
        ClipException open = assertThrows(ClipException.class, () -> DelimitedTable.parse(f, "a\n\"x\ny", ','));
        assertEquals(f + ": unterminated quoted field at line 3", open.getMessage());
    }
}
