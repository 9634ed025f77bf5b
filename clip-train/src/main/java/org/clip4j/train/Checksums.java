package org.clip4j.train;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 digests of checkpoint files, recorded in {@code trainer.json} when a checkpoint is written and compared
 * when a run resumes from it, so that a damaged file (a flipped byte, a short copy) is found before it is trained
 * on. SHA-256 because every JVM has it; reading a file back costs far less than the training between checkpoints.
 */
public final class Checksums {
    /** The algorithm's name as written in {@code trainer.json}. */
    public static final String ALGORITHM = "sha256";

    private Checksums() {
    }

    /** The SHA-256 of {@code file}'s bytes as 64 lower-case hex digits. */
    public static String sha256(Path file) throws IOException {
        MessageDigest d;
        try {
            d = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) d.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(d.digest());
    }
}
