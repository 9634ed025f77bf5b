package org.clip4j.train;

import org.clip4j.core.ClipException;
import org.clip4j.core.io.IoErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * Exclusive ownership of a checkpoint folder by one training run, so that two runs never write (or clean up)
 * each other's checkpoints and metrics.
 *
 * <p>The lock is an operating-system lock ({@link FileChannel#tryLock()}, {@code fcntl} on Linux) on the file
 * {@value #FILE_NAME} in the folder; the kernel releases it when the owner exits, even by {@code kill -9}, so a
 * dead run never blocks the next one. The file also records the owner (pid, host, start time) for the message a
 * second writer gets. Where the file system offers no locks (some network file systems), the recorded owner is
 * the lock: it is taken over only when it names a process of this host that is no longer alive (a stale lock).
 * The file is left in place on release (deleting it would let a waiting process lock an unlinked file).
 */
public final class CheckpointLock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointLock.class);
    /** The lock file's name in the checkpoint folder. */
    public static final String FILE_NAME = ".clip4j-train.lock";

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock; // null: the file system has no locks, the owner record is the lock

    private CheckpointLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock of {@code dir} (created if needed), or throws a {@link ClipException} naming the owner. */
    public static CheckpointLock acquire(Path dir) {
        return acquire(dir, true);
    }

    /** {@code osLocks} false: behave as on a file system without locks (tests of the stale-owner rule). */
    static CheckpointLock acquire(Path dir, boolean osLocks) {
        Path file = dir.resolve(FILE_NAME);
        FileChannel ch = null;
        try {
            Files.createDirectories(dir);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock l = null;
            boolean locked = false;
            if (osLocks) {
                try {
                    l = ch.tryLock();
                    locked = l != null;
                    if (!locked) throw busy(dir, Owner.parse(read(ch)));
                } catch (OverlappingFileLockException e) { // held by this JVM
                    throw busy(dir, Owner.parse(read(ch)));
                } catch (IOException | UnsupportedOperationException e) {
                    LOG.debug("{}: no file locks ({}); using the owner record", file, e.getMessage());
                }
            }
            if (!locked) {
                Owner o = Owner.parse(read(ch));
                if (o != null && !o.equals(Owner.self())) {
                    if (o.mayBeAlive()) throw busy(dir, o);
                    LOG.warn("{}: taking over a stale lock of pid {} on {} (no such process)", dir, o.pid(), o.host());
                }
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(Owner.self().format().getBytes(StandardCharsets.UTF_8)), 0);
            ch.force(true);
            return new CheckpointLock(file, ch, l);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new ClipException(dir + ": cannot lock the checkpoint folder: " + IoErrors.reason(e), e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** The lock file. */
    public Path file() {
        return file;
    }

    @Override
    public void close() {
        try {
            if (lock == null) channel.truncate(0); // the owner record is the lock: clear it
            if (lock != null) lock.release();
        } catch (IOException e) {
            LOG.warn("{}: cannot release the lock: {}", file, IoErrors.reason(e));
        } finally {
            closeQuietly(channel);
        }
    }

    private static ClipException busy(Path dir, Owner o) {
        return new ClipException(dir + " is in use by another training run ("
                + (o == null ? "owner unknown" : "pid " + o.pid() + " on " + o.host() + ", since " + o.since())
                + "); wait for it to end or give another TrainConfig.checkpointDir");
    }

    private static String read(FileChannel ch) throws IOException {
        long n = Math.min(ch.size(), 4096);
        ByteBuffer b = ByteBuffer.allocate((int) n);
        while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
            // keep reading
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch == null) return;
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing left to do
        }
    }

    /** The process recorded in a lock file: {@code pid=…}, {@code host=…}, {@code since=…} lines. */
    record Owner(long pid, String host, String since) {
        static Owner self() {
            return new Owner(ProcessHandle.current().pid(), hostName(), START);
        }

        private static final String START = Instant.now().toString();

        static Owner parse(String text) {
            long pid = -1;
            String host = null, since = "?";
            for (String line : text.split("\n")) {
                int eq = line.indexOf('=');
                if (eq < 0) continue;
                String k = line.substring(0, eq).strip(), v = line.substring(eq + 1).strip();
                switch (k) {
                    case "pid" -> {
                        try {
                            pid = Long.parseLong(v);
                        } catch (NumberFormatException e) {
                            pid = -1;
                        }
                    }
                    case "host" -> host = v;
                    case "since" -> since = v;
                    default -> { }
                }
            }
            return pid < 0 || host == null ? null : new Owner(pid, host, since);
        }

        String format() {
            return "pid=" + pid + "\nhost=" + host + "\nsince=" + since + "\n";
        }

        /** False only when the owner is on this host and no process with its pid exists. */
        boolean mayBeAlive() {
            if (!host.equals(hostName())) return true; // another machine: cannot tell
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        }

        static String hostName() {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                String h = System.getenv("HOSTNAME");
                return h == null ? "localhost" : h;
            }
        }
    }
}
