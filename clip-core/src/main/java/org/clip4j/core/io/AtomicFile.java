package org.clip4j.core.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes a whole file (or a whole folder) so that nobody ever sees it half written: not a reader running at the
 * same time, and not the next run after a crash, {@code kill -9} or a full disk. Every writer of a whole output
 * file in clip4j (model files, checkpoints, shards, manifests, reports, charts) goes through this class; only
 * append-only logs such as {@code metrics.jsonl} do not.
 *
 * <p>The recipe, the one databases and editors use on POSIX file systems:
 * <ol>
 *   <li>the content goes to a temporary sibling {@code .NAME.RANDOM.tmp} in the target's folder (same file
 *       system, so the rename below is atomic), created exclusively with the mode of any new file: the umask
 *       applies, as it would to the target written directly (unlike {@link Files#createTempFile}, whose 0600
 *       mode the rename would hand on);</li>
 *   <li>the temporary file is flushed to the device ({@code fsync}), so that after a power cut the renamed file
 *       has its content and not zero bytes;</li>
 *   <li>it is renamed onto the target in one step ({@code rename(2)}): the target is the old file or the new
 *       one, never a mixture. With {@link IfExists#FAIL} the new name is taken with {@code link(2)} instead,
 *       which refuses an existing target atomically;</li>
 *   <li>the folder is flushed too, so the rename itself survives a power cut (best effort: not every platform
 *       can open a folder for that);</li>
 *   <li>on any failure (the content throws, the disk is full, the rename is refused) the temporary file is
 *       deleted and the target left as it was.</li>
 * </ol>
 *
 * <pre>{@code
 * AtomicFile.write(Path.of("out/results.json"), AtomicFile.IfExists.REPLACE,
 *         out -> out.write(json.getBytes(StandardCharsets.UTF_8)));
 * }</pre>
 *
 * A temporary left behind by a process killed mid-write is recognised by {@link #isTemporary}, so that the next
 * run can remove it.
 */
public final class AtomicFile {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** {@code .NAME.RANDOM.tmp}: what {@link #temporarySibling} creates. */
    private static final Pattern TEMPORARY = Pattern.compile("\\..+\\.[0-9a-z]{1,13}\\.tmp");

    private AtomicFile() {
    }

    /** What to do when the target exists already. */
    public enum IfExists {
        /** Replace it, atomically: a reader sees the old content or the new, never neither. */
        REPLACE,
        /** Keep it and fail with a {@link FileAlreadyExistsException} naming the target. */
        FAIL
    }

    /** The content of a file: writes everything to {@code out}. */
    @FunctionalInterface
    public interface Content {
        /**
         * Writes the whole content. {@code out} is buffered; there is no need to close it (closing it only
         * flushes it). Throwing abandons the write: the target stays as it was.
         *
         * @param out the temporary file
         * @throws IOException to abandon the write
         */
        void writeTo(OutputStream out) throws IOException;
    }

    /** The content of a folder: creates every file of it in {@code dir}. */
    @FunctionalInterface
    public interface FolderContent {
        /**
         * Creates the folder's files (and sub-folders) in {@code dir}, an empty temporary folder that becomes the
         * target once this returns. Throwing abandons the write: the temporary folder is deleted.
         *
         * @param dir the temporary folder
         * @throws IOException to abandon the write
         */
        void writeTo(Path dir) throws IOException;
    }

    /**
     * Writes file {@code target} from {@code content} atomically (see the class comment); creates its folder if
     * needed.
     *
     * @param target   the file to write
     * @param ifExists whether an existing {@code target} is replaced or refused
     * @param content  writes the bytes
     * @throws FileAlreadyExistsException with {@link IfExists#FAIL} when {@code target} exists ("PATH: exists
     *                                    already, not replaced"); checked before {@code content} runs and
     *                                    again, atomically, when the file is put in place
     * @throws IOException                when {@code content} throws one or the file system fails; the target
     *                                    is untouched and no temporary file is left
     */
    public static void write(Path target, IfExists ifExists, Content content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        if (ifExists == IfExists.FAIL) refuseExisting(abs);
        Path tmp = temporarySibling(abs);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream buffered = new BufferedOutputStream(new KeepOpen(Channels.newOutputStream(ch)), 1 << 16);
                content.writeTo(buffered);
                buffered.flush();
                ch.force(true);
            }
            place(tmp, abs, ifExists);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        syncFolder(dir);
    }

    /** The stream a {@link Content} writes to: closing it only flushes, the channel stays open to be forced. */
    private static final class KeepOpen extends FilterOutputStream {
        KeepOpen(OutputStream channel) {
            super(channel);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len); // not FilterOutputStream's byte-by-byte loop
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    /** {@link #write} of a string in UTF-8, replacing an existing file. */
    public static void writeString(Path target, String text) throws IOException {
        write(target, IfExists.REPLACE, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Writes folder {@code target} atomically: {@code content} fills an empty temporary sibling folder (mode of
     * any new folder), whose files are then flushed to the device, and which is renamed onto {@code target} in
     * one step. With {@link IfExists#REPLACE} an existing {@code target} is first renamed aside and deleted only
     * once the new folder is in place (a folder cannot be renamed over a non-empty one); a crash between the two
     * renames leaves the old folder under a temporary name ({@link #isTemporary}), never a mixture.
     *
     * @param target   the folder to write; its parent is created if needed
     * @param ifExists whether an existing {@code target} is replaced or refused
     * @param content  creates the files
     * @throws FileAlreadyExistsException with {@link IfExists#FAIL} when {@code target} exists, checked before
     *                                    {@code content} runs and again before the rename (not atomically:
     *                                    an empty folder created in between would be replaced)
     * @throws IOException                when {@code content} throws one or the file system fails; the target
     *                                    is untouched and the temporary folder deleted
     */
    public static void writeFolder(Path target, IfExists ifExists, FolderContent content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        if (ifExists == IfExists.FAIL) refuseExisting(abs);
        Path tmp = temporarySibling(abs);
        Files.createDirectory(tmp); // not Files.createTempDirectory: its 0700 mode would stay on the target
        Path old = null;
        try {
            content.writeTo(tmp);
            syncTree(tmp);
            if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
                if (ifExists == IfExists.FAIL) refuseExisting(abs);
                old = temporarySibling(abs);
                move(abs, old);
            }
            move(tmp, abs);
            tmp = null;
        } catch (IOException | RuntimeException e) {
            if (tmp != null) {
                if (old != null) { // the new folder did not go in: the old one goes back
                    try {
                        move(old, abs);
                        old = null;
                    } catch (IOException back) {
                        e.addSuppressed(back);
                    }
                }
                try {
                    deleteTree(tmp);
                } catch (IOException | UncheckedIOException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            throw e;
        }
        syncFolder(dir);
        if (old != null) {
            try {
                deleteTree(old);
            } catch (IOException | UncheckedIOException e) {
                // The new folder is in place: the write succeeded. The old one stays under its temporary name,
                // which isTemporary() recognises for the next clean-up.
            }
        }
    }

    /**
     * True when {@code p}'s name is that of a temporary file or folder of this class ({@code .NAME.RANDOM.tmp}):
     * one left behind by a process killed while writing, which nothing refers to.
     */
    public static boolean isTemporary(Path p) {
        Path name = p.getFileName();
        return name != null && TEMPORARY.matcher(name.toString()).matches();
    }

    /** Deletes {@code p} and everything below it (nothing if it does not exist). */
    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        List<Path> all;
        try (Stream<Path> s = Files.walk(p)) {
            all = s.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path q : all) Files.deleteIfExists(q);
    }

    /** A fresh name {@code .NAME.RANDOM.tmp} beside {@code target} (nothing is created). */
    private static Path temporarySibling(Path target) {
        return target.resolveSibling("." + target.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
    }

    private static void refuseExisting(Path target) throws FileAlreadyExistsException {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString(), null, "exists already, not replaced");
        }
    }

    /** Puts the finished temporary file {@code tmp} in place as {@code target}. */
    private static void place(Path tmp, Path target, IfExists ifExists) throws IOException {
        if (ifExists == IfExists.REPLACE) {
            move(tmp, target);
            return;
        }
        // link(2) fails when the name exists, atomically; rename(2) would replace it.
        try {
            Files.createLink(target, tmp);
        } catch (FileAlreadyExistsException e) {
            throw new FileAlreadyExistsException(target.toString(), null, "exists already, not replaced");
        } catch (UnsupportedOperationException | FileSystemException noHardLinks) {
            // A file system without hard links (FAT, some network shares): check, then rename.
            refuseExisting(target);
            move(tmp, target);
            return;
        }
        Files.delete(tmp);
    }

    /** One-step rename; a plain move where the file system cannot promise that (the target is then replaced). */
    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Flushes every file and folder below {@code root} (and {@code root}) to the device. */
    private static void syncTree(Path root) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(root)) {
            all = s.sorted(Comparator.reverseOrder()).toList(); // files before their folders
        }
        for (Path p : all) {
            if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) { // fsync needs no write access
                    ch.force(true);
                }
            } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                syncFolder(p);
            }
        }
    }

    /**
     * Flushes folder {@code dir}'s entries (a rename in it) to the device. Best effort: some platforms (Windows)
     * cannot open a folder for this, and the file's own content is already safe.
     */
    private static void syncFolder(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // nothing more can be done; the rename itself has happened
        }
    }
}
