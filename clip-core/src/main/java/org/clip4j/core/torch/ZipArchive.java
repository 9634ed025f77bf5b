package org.clip4j.core.torch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The central directory of a zip file as PyTorch writes it ({@code torch.save} since 1.6 and
 * {@code torch.jit.save}): entries stored uncompressed and 64-byte aligned, ZIP64 records when the archive is
 * large. Stored entries are located (offset and length in the file) so that tensor data can be memory-mapped in
 * place; deflated entries (an archive re-zipped by another tool) are inflated on demand, bounded by the
 * declared size and by deflate's largest possible ratio. {@code java.util.zip.ZipFile} cannot be used: it gives
 * no entry offsets.
 */
final class ZipArchive {
    /** One entry: name, compression method (0 stored, 8 deflated), sizes and its data's offset in the file. */
    record Entry(String name, int method, long compressedSize, long size, long dataOffset) {
    }

    private static final int EOCD_SIG = 0x06054b50, EOCD64_SIG = 0x06064b50, LOC64_SIG = 0x07064b50;
    private static final int CEN_SIG = 0x02014b50, LOC_SIG = 0x04034b50;
    /** Deflate cannot expand more than about 1032:1; a larger declared size is a lie. */
    private static final long MAX_DEFLATE_RATIO = 1032;

    private final Path path;
    private final FileChannel ch;
    private final long fileSize;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    /** Bytes inflated so far, and the most this archive may inflate in all (entries may overlap in a bad zip). */
    private long inflated;
    private final long maxInflated;

    private ZipArchive(Path path, FileChannel ch) throws IOException {
        this.path = path;
        this.ch = ch;
        this.fileSize = ch.size();
        this.maxInflated = Math.max(16 * fileSize, 256L << 20);
        readCentralDirectory();
    }

    static ZipArchive open(Path path, FileChannel ch) {
        try {
            return new ZipArchive(path, ch);
        } catch (IOException e) {
            throw new TorchFormatException(path + ": cannot read the zip archive: " + e.getMessage(), e);
        }
    }

    Map<String, Entry> entries() {
        return Collections.unmodifiableMap(entries);
    }

    private TorchFormatException bad(String what) {
        return new TorchFormatException(path + ": not a valid zip archive (PyTorch checkpoint): " + what);
    }

    private ByteBuffer read(long pos, int len) throws IOException {
        if (pos < 0 || len < 0 || pos > fileSize - len) throw bad("a record at byte " + pos + " runs past the end of the file");
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) throw bad("unexpected end of file at byte " + (pos + b.position()));
        }
        return b.flip();
    }

    private void readCentralDirectory() throws IOException {
        // the end-of-central-directory record is in the last 22 + 65535 bytes (comment of up to 64 KiB)
        int tail = (int) Math.min(fileSize, 22 + 65535);
        if (tail < 22) throw bad("shorter than an end-of-central-directory record");
        ByteBuffer t = read(fileSize - tail, tail);
        int eocd = -1;
        for (int i = tail - 22; i >= 0; i--) {
            if (t.getInt(i) == EOCD_SIG) {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) throw bad("no end-of-central-directory record");
        long eocdPos = fileSize - tail + eocd;
        long count = t.getShort(eocd + 10) & 0xffff;
        long cdSize = t.getInt(eocd + 12) & 0xffffffffL;
        long cdOffset = t.getInt(eocd + 16) & 0xffffffffL;
        if (count == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL) { // ZIP64
            if (eocdPos < 20) throw bad("ZIP64 values without a ZIP64 locator");
            ByteBuffer loc = read(eocdPos - 20, 20);
            if (loc.getInt(0) != LOC64_SIG) throw bad("ZIP64 values without a ZIP64 locator");
            long e64 = loc.getLong(8);
            ByteBuffer r = read(e64, 56);
            if (r.getInt(0) != EOCD64_SIG) throw bad("no ZIP64 end-of-central-directory record at byte " + e64);
            count = r.getLong(32);
            cdSize = r.getLong(40);
            cdOffset = r.getLong(48);
        }
        if (cdOffset < 0 || cdSize < 0 || cdSize > fileSize || cdOffset > fileSize - cdSize) {
            throw bad("the central directory (" + cdSize + " bytes at " + cdOffset + ") lies outside the file");
        }
        if (cdSize > Integer.MAX_VALUE - 8) throw bad("central directory of " + cdSize + " bytes");
        if (count < 0 || count > cdSize / 46) throw bad(count + " entries cannot fit in a " + cdSize + "-byte directory");
        ByteBuffer cd = read(cdOffset, (int) cdSize);
        int p = 0;
        for (long i = 0; i < count; i++) {
            if (p > cd.limit() - 46 || cd.getInt(p) != CEN_SIG) throw bad("central directory entry " + i + " is damaged");
            int method = cd.getShort(p + 10) & 0xffff;
            long csize = cd.getInt(p + 20) & 0xffffffffL;
            long size = cd.getInt(p + 24) & 0xffffffffL;
            int nameLen = cd.getShort(p + 28) & 0xffff, extraLen = cd.getShort(p + 30) & 0xffff;
            int commentLen = cd.getShort(p + 32) & 0xffff;
            long local = cd.getInt(p + 42) & 0xffffffffL;
            int end = p + 46 + nameLen + extraLen + commentLen;
            if (end > cd.limit() || end < 0) throw bad("central directory entry " + i + " runs past the directory");
            byte[] nb = new byte[nameLen];
            cd.get(p + 46, nb);
            String name = new String(nb, StandardCharsets.UTF_8);
            // ZIP64 extra field (id 1): the 0xffffffff fields, in the order size, compressed size, offset
            int x = p + 46 + nameLen, xEnd = x + extraLen;
            while (x + 4 <= xEnd) {
                int id = cd.getShort(x) & 0xffff, len = cd.getShort(x + 2) & 0xffff;
                if (x + 4 + len > xEnd) throw bad("entry '" + name + "' has a damaged extra field");
                if (id == 1) {
                    int q = x + 4;
                    if (size == 0xffffffffL && q + 8 <= x + 4 + len) { size = cd.getLong(q); q += 8; }
                    if (csize == 0xffffffffL && q + 8 <= x + 4 + len) { csize = cd.getLong(q); q += 8; }
                    if (local == 0xffffffffL && q + 8 <= x + 4 + len) { local = cd.getLong(q); }
                }
                x += 4 + len;
            }
            if (method != 0 && method != 8) {
                throw bad("entry '" + name + "' uses compression method " + method + " (expected 0 stored or 8 deflated)");
            }
            if (method == 0 && csize != size) throw bad("stored entry '" + name + "' has two different sizes");
            if (csize < 0 || size < 0 || local < 0 || local > fileSize - 30) {
                throw bad("entry '" + name + "' has sizes or an offset outside the file");
            }
            ByteBuffer lh = read(local, 30);
            if (lh.getInt(0) != LOC_SIG) throw bad("entry '" + name + "' has no local header at byte " + local);
            long data = local + 30 + (lh.getShort(26) & 0xffff) + (lh.getShort(28) & 0xffff);
            if (data > fileSize || csize > fileSize - data) {
                throw bad("entry '" + name + "' (" + csize + " bytes at " + data + ") runs past the end of the file");
            }
            if (entries.put(name, new Entry(name, method, csize, size, data)) != null) {
                throw bad("entry '" + name + "' appears twice");
            }
            p = end;
        }
    }

    /** A stored entry's bytes mapped (or read) from the file; a deflated one inflated into memory. */
    ByteBuffer bytes(Entry e, long maxBytes) {
        if (e.size() > maxBytes) {
            throw new TorchFormatException(path + ": entry '" + e.name() + "' declares " + e.size()
                    + " bytes, more than the " + maxBytes + " allowed for it");
        }
        try {
            if (e.method() == 0) {
                if (e.size() == 0) return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
                return ch.map(FileChannel.MapMode.READ_ONLY, e.dataOffset(), e.size()).order(ByteOrder.LITTLE_ENDIAN);
            }
            if (e.size() > MAX_DEFLATE_RATIO * e.compressedSize() + 64) {
                throw new TorchFormatException(path + ": deflated entry '" + e.name() + "' declares " + e.size()
                        + " bytes from " + e.compressedSize() + " compressed bytes, which deflate cannot produce");
            }
            if (e.compressedSize() > Integer.MAX_VALUE - 8) {
                throw new TorchFormatException(path + ": deflated entry '" + e.name() + "' is larger than 2 GiB");
            }
            if (e.size() > maxInflated - inflated) {
                throw new TorchFormatException(path + ": deflated entries inflate to more than " + maxInflated
                        + " bytes in all (16 times the archive)");
            }
            inflated += e.size();
            ByteBuffer in = read(e.dataOffset(), (int) e.compressedSize());
            byte[] out = new byte[(int) e.size()];
            Inflater inf = new Inflater(true);
            try {
                inf.setInput(in);
                int n = 0;
                while (n < out.length) {
                    int k = inf.inflate(out, n, out.length - n);
                    if (k == 0 && (inf.finished() || inf.needsInput() || inf.needsDictionary())) break;
                    n += k;
                }
                if (n != out.length) {
                    throw new TorchFormatException(path + ": deflated entry '" + e.name() + "' inflates to " + n
                            + " bytes, expected " + out.length);
                }
            } catch (DataFormatException x) {
                throw new TorchFormatException(path + ": deflated entry '" + e.name() + "' is corrupt: " + x.getMessage(), x);
            } finally {
                inf.end();
            }
            return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException x) {
            throw new TorchFormatException(path + ": cannot read entry '" + e.name() + "': " + x.getMessage(), x);
        }
    }
}
