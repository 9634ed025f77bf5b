package org.clip4j.core.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Locale;

/**
 * Plain-words reasons for I/O failures. Java's file-system exceptions often carry only the path as their message
 * ({@link AccessDeniedException}: "/runs/a/x"), and a full disk surfaces as "No space left on device" deep in a
 * cause chain; a user needs the reason next to the file it concerns.
 */
public final class IoErrors {
    private IoErrors() {
    }

    /**
     * The reason of {@code e} (or of the first I/O exception in its cause chain) in lower case, without the
     * path: "no space left on device", "permission denied", "read-only file system", "no such file or directory",
     * or the exception's own message.
     */
    public static String reason(Throwable e) {
        Throwable t = e;
        while (t instanceof UncheckedIOException && t.getCause() != null) t = t.getCause();
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage() == null ? "" : c.getMessage().toLowerCase(Locale.ROOT);
            if (m.contains("no space left")) return "no space left on device";
            if (m.contains("disk quota")) return "disk quota exceeded";
            if (m.contains("read-only file system")) return "read-only file system";
        }
        if (t instanceof FileSystemException fs) {
            if (fs.getReason() != null) return fs.getReason().toLowerCase(Locale.ROOT);
            if (fs instanceof AccessDeniedException) return "permission denied";
            if (fs instanceof NoSuchFileException) return "no such file or directory";
            if (fs instanceof NotDirectoryException) return "not a directory";
            if (fs instanceof FileAlreadyExistsException) return "already exists";
        }
        String m = t.getMessage();
        return m == null || m.isEmpty() ? t.getClass().getSimpleName() : m;
    }

    /** True when {@code e} or its causes report a full disk (or an exhausted quota). */
    public static boolean isNoSpace(Throwable e) {
        String r = reason(e);
        return r.equals("no space left on device") || r.equals("disk quota exceeded");
    }

    /** Convenience for messages: {@code what + ": " + reason(e)}. */
    public static String describe(String what, IOException e) {
        return what + ": " + reason(e);
    }
}
