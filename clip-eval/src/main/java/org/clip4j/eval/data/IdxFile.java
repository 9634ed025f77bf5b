package org.clip4j.eval.data;

import org.clip4j.core.ClipException;
import org.clip4j.core.io.AtomicFile;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * An IDX file of unsigned bytes (the MNIST format: magic {@code 0x00 0x00 0x08 rank}, then {@code rank}
 * big-endian int32 dimensions, then the bytes in row-major order), gzip-compressed or not.
 *
 * @param dims the dimensions, e.g. [n, 28, 28] for images or [n] for labels
 */
public record IdxFile(int[] dims, byte[] data) {
    /** Reads {@code file}; a {@code .gz} file (or any file starting with the gzip magic) is decompressed. */
    public static IdxFile read(Path file) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
            raw.mark(2);
            int b0 = raw.read(), b1 = raw.read();
            raw.reset();
            InputStream in = b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(raw, 1 << 16) : raw;
            DataInputStream d = new DataInputStream(in);
            int magic = d.readInt();
            if ((magic >>> 16) != 0 || ((magic >>> 8) & 0xff) != 0x08) {
                throw new ClipException(file + ": not an IDX file of unsigned bytes (magic 0x"
                        + String.format("%08x", magic) + ", expected 0x000008NN)");
            }
            int rank = magic & 0xff;
            if (rank < 1 || rank > 4) throw new ClipException(file + ": IDX rank " + rank + ", expected 1 to 4");
            int[] dims = new int[rank];
            long count = 1;
            for (int i = 0; i < rank; i++) {
                dims[i] = d.readInt();
                if (dims[i] < 0) throw new ClipException(file + ": IDX dimension " + i + " is negative (" + dims[i] + ")");
                count *= dims[i];
            }
            if (count > Integer.MAX_VALUE - 8) throw new ClipException(file + ": " + count + " values are too many for one array");
            byte[] data = new byte[(int) count];
            try {
                d.readFully(data);
            } catch (java.io.EOFException e) {
                throw new ClipException(file + ": truncated: header promises " + count + " bytes of data", e);
            }
            return new IdxFile(dims, data);
        } catch (IOException e) {
            throw new ClipException(file + ": cannot read IDX file: " + e.getMessage(), e);
        }
    }

    /** Writes an uncompressed IDX file of unsigned bytes (for tests and conversions). */
    public static void write(Path file, int[] dims, byte[] data) throws IOException {
        AtomicFile.write(file, AtomicFile.IfExists.REPLACE, stream -> {
            java.io.DataOutputStream out = new java.io.DataOutputStream(stream);
            out.writeInt(0x0800 | dims.length);
            for (int v : dims) out.writeInt(v);
            out.write(data);
            out.flush();
        });
    }
}
