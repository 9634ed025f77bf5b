package org.clip4j.core.io;

import org.clip4j.core.io.AtomicFile.IfExists;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@link AtomicFile}: the target is the old content or the new one, never a part, and nothing is left behind. */
class AtomicFileTest {
    @TempDir
    Path tmp;

    private List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesAndReplacesAFileCreatingItsFolder() throws IOException {
        Path f = tmp.resolve("a/b/out.txt");
        AtomicFile.writeString(f, "one");
        assertEquals("one", Files.readString(f));
        AtomicFile.write(f, IfExists.REPLACE, out -> out.write("two".getBytes(StandardCharsets.UTF_8)));
        assertEquals("two", Files.readString(f));
        assertEquals(List.of("out.txt"), names(f.getParent()), "no temporary file left");
    }

    @Test
    void aContentThatFailsMidwayLeavesTheOldFileIntactAndNoTemporary() throws IOException {
        Path f = Files.writeString(tmp.resolve("model.bin"), "old content");
        byte[] big = new byte[1 << 20]; // more than the buffer: part of it reaches the temporary file
        IOException boom = new IOException("disk full, say");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(f, IfExists.REPLACE, out -> {
            out.write(big);
            throw boom;
        }));
        assertSame(boom, e);
        assertEquals("old content", Files.readString(f));
        assertEquals(List.of("model.bin"), names(tmp));

        assertThrows(IllegalStateException.class, () -> AtomicFile.write(f, IfExists.REPLACE, out -> {
            out.write(big);
            throw new IllegalStateException("a bug in the writer");
        }));
        assertEquals("old content", Files.readString(f));
        assertEquals(List.of("model.bin"), names(tmp));
    }

    @Test
    void whileWritingTheTargetIsUntouchedAndTheTemporaryIsASiblingThatIsRecognised() throws IOException {
        Path f = Files.writeString(tmp.resolve("x.json"), "old");
        AtomicFile.writeString(tmp.resolve("other.json"), "keep"); // a finished file is not a temporary
        AtomicFile.write(f, IfExists.REPLACE, out -> {
            out.write("new".getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertEquals("old", Files.readString(f), "a reader still sees the old file");
            List<String> during = names(tmp);
            assertEquals(3, during.size(), during.toString());
            String t = during.stream().filter(n -> n.startsWith(".x.json.")).findFirst().orElseThrow();
            assertTrue(AtomicFile.isTemporary(tmp.resolve(t)), t);
        });
        assertEquals("new", Files.readString(f));
        assertFalse(AtomicFile.isTemporary(f));
        assertFalse(AtomicFile.isTemporary(tmp.resolve("other.json")));
        assertFalse(AtomicFile.isTemporary(tmp.resolve(".hidden")));
    }

    @Test
    void failRefusesAnExistingTargetNamingIt() throws IOException {
        Path f = Files.writeString(tmp.resolve("results.json"), "mine");
        boolean[] ran = {false};
        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
                () -> AtomicFile.write(f, IfExists.FAIL, out -> ran[0] = true));
        assertEquals(f.toAbsolutePath() + ": exists already, not replaced", e.getMessage());
        assertFalse(ran[0], "refused before any work");
        assertEquals("mine", Files.readString(f));

        Path g = tmp.resolve("new.json");
        AtomicFile.write(g, IfExists.FAIL, out -> out.write('x'));
        assertEquals("x", Files.readString(g));
        assertEquals(List.of("new.json", "results.json"), names(tmp));
    }

    @Test
    void failRefusesATargetCreatedWhileTheContentWasWritten() throws IOException {
        Path f = tmp.resolve("race.txt");
        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
                () -> AtomicFile.write(f, IfExists.FAIL, out -> {
                    out.write("late".getBytes(StandardCharsets.UTF_8));
                    Files.writeString(f, "first"); // another writer wins the name meanwhile
                }));
        assertTrue(e.getMessage().startsWith(f.toAbsolutePath().toString()), e.getMessage());
        assertEquals("first", Files.readString(f), "the other writer's file is kept");
        assertEquals(List.of("race.txt"), names(tmp));
    }

    @Test
    void closingTheStreamInsideTheContentIsHarmless() throws IOException {
        Path f = tmp.resolve("closed.txt");
        AtomicFile.write(f, IfExists.REPLACE, out -> {
            out.write("abc".getBytes(StandardCharsets.UTF_8));
            out.close();
        });
        assertEquals("abc", Files.readString(f));
    }

    @Test
    void filesAndFoldersGetTheModeTheUmaskGivesAnyNewOne() throws IOException {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
        Set<PosixFilePermission> file = Files.getPosixFilePermissions(Files.createFile(tmp.resolve("ref-file")));
        Set<PosixFilePermission> dir = Files.getPosixFilePermissions(Files.createDirectory(tmp.resolve("ref-dir")));
        // a umask that differs from Files.createTempFile's 0600 and createTempDirectory's 0700 makes this meaningful
        assumeTrue(!file.equals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE)), "umask 077");
        Path f = tmp.resolve("f.bin");
        AtomicFile.writeString(f, "1");
        assertEquals(file, Files.getPosixFilePermissions(f));
        AtomicFile.writeString(f, "2"); // replacing keeps it
        assertEquals(file, Files.getPosixFilePermissions(f));
        Path d = tmp.resolve("d");
        AtomicFile.writeFolder(d, IfExists.REPLACE, t -> Files.writeString(t.resolve("inner"), "i"));
        assertEquals(dir, Files.getPosixFilePermissions(d));
    }

    @Test
    void aFolderIsWrittenWholeAndReplacedWhole() throws IOException {
        Path d = tmp.resolve("step-1");
        AtomicFile.writeFolder(d, IfExists.REPLACE, t -> {
            Files.writeString(t.resolve("a"), "1");
            Files.createDirectory(t.resolve("sub"));
            Files.writeString(t.resolve("sub/b"), "2");
        });
        assertEquals(List.of("a", "sub"), names(d));
        assertEquals("2", Files.readString(d.resolve("sub/b")));
        AtomicFile.writeFolder(d, IfExists.REPLACE, t -> Files.writeString(t.resolve("c"), "3"));
        assertEquals(List.of("c"), names(d), "the old folder's files are gone");
        assertEquals(List.of("step-1"), names(tmp), "no temporary or old folder left");

        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
                () -> AtomicFile.writeFolder(d, IfExists.FAIL, t -> Files.writeString(t.resolve("x"), "x")));
        assertTrue(e.getMessage().contains(d.toAbsolutePath().toString()), e.getMessage());
        assertEquals(List.of("c"), names(d));
    }

    @Test
    void aFolderWhoseContentFailsLeavesTheOldFolderAndNoTemporary() throws IOException {
        Path d = tmp.resolve("ckpt");
        AtomicFile.writeFolder(d, IfExists.REPLACE, t -> Files.writeString(t.resolve("model"), "old"));
        IOException e = assertThrows(IOException.class, () -> AtomicFile.writeFolder(d, IfExists.REPLACE, t -> {
            Files.writeString(t.resolve("model"), "new");
            throw new IOException("no space left on device");
        }));
        assertEquals("no space left on device", e.getMessage());
        assertEquals("old", Files.readString(d.resolve("model")));
        assertEquals(List.of("ckpt"), names(tmp));
    }
}
