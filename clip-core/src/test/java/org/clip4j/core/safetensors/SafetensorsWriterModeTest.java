package org.clip4j.core.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Issue 13 items 8 and 11: the temporary-file-then-rename write leaks neither a 0600 mode nor a temporary file. */
class SafetensorsWriterModeTest {
    @TempDir
    Path tmp;

    @Test
    void writtenFilesGetTheUmaskModeOfAnyNewFile() throws IOException {
        Set<PosixFilePermission> usual = Files.getPosixFilePermissions(Files.createFile(tmp.resolve("reference")));
        Path out = tmp.resolve("x.safetensors");
        new SafetensorsWriter().putFloats("a", new long[]{2}, new float[]{1, 2}).write(out);
        assertEquals(usual, Files.getPosixFilePermissions(out));
        new SafetensorsWriter().putFloats("a", new long[]{2}, new float[]{3, 4}).write(out); // replacing keeps it
        assertEquals(usual, Files.getPosixFilePermissions(out));
        try (var s = Files.list(tmp)) {
            assertEquals(2, s.count(), "no temporary file left");
        }
    }

    @Test
    void aFailedWriteLeavesNoTemporaryFile() throws IOException {
        Path out = tmp.resolve("dir.safetensors");
        Files.createDirectory(out); // the rename onto a folder fails after the content was written
        assertThrows(IOException.class, () -> new SafetensorsWriter().putFloats("a", new long[]{1}, new float[]{1}).write(out));
        try (var s = Files.list(tmp)) {
            assertEquals(1, s.count(), "only the folder");
        }
    }
}
