package org.clip4j.train.data.wds;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/**
 * The intact part of a tar that was cut short (a copy that stopped, a full disk): {@link #intactLength} walks
 * the 512-byte headers to find the first member that does not fit in the file, and {@link #channel} presents
 * the bytes before it (zeros where padding was cut off) followed by a tar end marker, so that a tar reader lists every complete member and
 * their offsets, which are those of the real file.
 */
final class TarPrefix {
    private static final int BLOCK = 512;

    private TarPrefix() {
    }

    /**
     * The length of the longest prefix of whole members (headers and data) of {@code ch}, or -1 when the file is
     * a complete tar (every member fits; an end marker or the end of the file follows the last one).
     */
    static long intactLength(FileChannel ch) throws IOException {
        long size = ch.size(), pos = 0;
        ByteBuffer h = ByteBuffer.allocate(BLOCK);
        while (pos + BLOCK <= size) {
            h.clear();
            while (h.hasRemaining() && ch.read(h, pos + h.position()) > 0) {
                // fill the header block
            }
            byte[] b = h.array();
            if (allZero(b)) return -1; // end marker
            long len = sizeField(b);
            if (len < 0 || pos + BLOCK + len > size) return pos; // a garbled header, or data cut short
            pos += BLOCK + (len + BLOCK - 1) / BLOCK * BLOCK;
        }
        // pos < size: a header cut short; pos > size: the last member's padding cut short (its data is whole)
        return pos == size ? -1 : pos;
    }

    /** The member size of a header: octal digits (POSIX) or a big-endian binary number (GNU, first bit set); -1 if garbled. */
    private static long sizeField(byte[] h) {
        if ((h[124] & 0x80) != 0) {
            long v = 0;
            for (int i = 125; i < 136; i++) v = (v << 8) | (h[i] & 0xff);
            return v;
        }
        long v = 0;
        boolean digits = false;
        for (int i = 124; i < 136; i++) {
            byte c = h[i];
            if (c == 0 || c == ' ') {
                if (digits) break;
                continue;
            }
            if (c < '0' || c > '7') return -1;
            v = v * 8 + (c - '0');
            digits = true;
        }
        return v;
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }

    /** A read-only view of the first {@code length} bytes of {@code ch}, then two zero blocks (a tar's end). */
    static SeekableByteChannel channel(FileChannel ch, long length) {
        return new SeekableByteChannel() {
            private long position;
            private boolean open = true;

            @Override
            public int read(ByteBuffer dst) throws IOException {
                long end = length + 2L * BLOCK;
                if (position >= end) return -1;
                int n;
                if (position < length) {
                    int want = (int) Math.min(dst.remaining(), length - position);
                    ByteBuffer slice = dst.slice();
                    slice.limit(want);
                    n = ch.read(slice, position);
                    if (n <= 0) { // past the file's end: the cut-off padding of the last whole member
                        n = want;
                        for (int i = 0; i < n; i++) dst.put((byte) 0);
                    } else {
                        dst.position(dst.position() + n);
                    }
                } else {
                    n = (int) Math.min(dst.remaining(), end - position);
                    for (int i = 0; i < n; i++) dst.put((byte) 0);
                }
                position += n;
                return n;
            }

            @Override
            public int write(ByteBuffer src) {
                throw new NonWritableChannelException();
            }

            @Override
            public long position() {
                return position;
            }

            @Override
            public SeekableByteChannel position(long p) {
                position = p;
                return this;
            }

            @Override
            public long size() {
                return length + 2L * BLOCK;
            }

            @Override
            public SeekableByteChannel truncate(long size) {
                throw new NonWritableChannelException();
            }

            @Override
            public boolean isOpen() {
                return open;
            }

            @Override
            public void close() {
                open = false;
            }
        };
    }
}
