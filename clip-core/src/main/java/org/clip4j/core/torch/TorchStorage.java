package org.clip4j.core.torch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * One PyTorch storage: a flat run of {@link #numel()} elements of one {@link TorchDType}, which any number of
 * tensors view (at their own offset and strides). The bytes stay in the file: regions are memory-mapped when a
 * tensor is read (stored zip entries, legacy streams), or come from memory (deflated zip entries).
 */
final class TorchStorage {
    private final Path file;
    private final String key;
    private final TorchDType dtype;
    private final long numel;
    private FileChannel channel; // null when heap != null, or while a legacy storage waits for its data
    private long position;
    private final ByteBuffer heap;

    private TorchStorage(Path file, String key, TorchDType dtype, long numel, FileChannel channel, long position,
                         ByteBuffer heap) {
        this.file = file;
        this.key = key;
        this.dtype = dtype;
        this.numel = numel;
        this.channel = channel;
        this.position = position;
        this.heap = heap;
    }

    /** A storage whose bytes start at {@code position} in the file; the caller checked they fit. */
    static TorchStorage inFile(Path file, String key, TorchDType dtype, long numel, FileChannel ch, long position) {
        return new TorchStorage(file, key, dtype, numel, ch, position, null);
    }

    /** A storage held in memory (a deflated entry, inflated); the caller checked it is large enough. */
    static TorchStorage inMemory(Path file, String key, TorchDType dtype, long numel, ByteBuffer bytes) {
        return new TorchStorage(file, key, dtype, numel, null, 0, bytes);
    }

    /** A storage of a legacy stream, whose data come after the pickle: {@link #bind} places it. */
    static TorchStorage unbound(Path file, String key, TorchDType dtype, long numel) {
        return new TorchStorage(file, key, dtype, numel, null, 0, null);
    }

    /** Sets where an {@link #unbound} storage's bytes are; the caller checked they fit in the file. */
    void bind(FileChannel ch, long pos) {
        this.channel = ch;
        this.position = pos;
    }

    /** A view of elements [offset, offset + count) of this storage as a storage of its own (legacy views). */
    TorchStorage view(String viewKey, long offset, long count) {
        long b = offset * dtype.byteSize();
        if (heap != null) {
            ByteBuffer s = heap.duplicate().position((int) b).limit((int) (b + count * dtype.byteSize())).slice();
            return inMemory(file, viewKey, dtype, count, s.order(ByteOrder.LITTLE_ENDIAN));
        }
        return inFile(file, viewKey, dtype, count, channel, position + b);
    }

    String key() {
        return key;
    }

    TorchDType dtype() {
        return dtype;
    }

    long numel() {
        return numel;
    }

    /** Elements [first, first + count) as little-endian bytes. */
    ByteBuffer elements(long first, long count) {
        long bytes = count * dtype.byteSize();
        if (first < 0 || count < 0 || first + count > numel) {
            throw new TorchFormatException(file + ": elements [" + first + ", " + (first + count) + ") outside storage '"
                    + key + "' of " + numel + " elements");
        }
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new TorchFormatException(file + ": a tensor of storage '" + key + "' spans " + bytes
                    + " bytes, more than one buffer holds (2 GiB)");
        }
        long b = first * dtype.byteSize();
        if (heap != null) {
            return heap.duplicate().position((int) b).limit((int) (b + bytes)).slice().order(ByteOrder.LITTLE_ENDIAN);
        }
        if (bytes == 0) return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        if (channel == null) {
            throw new TorchFormatException(file + ": storage '" + key + "' is used by a tensor but its data are not"
                    + " in the file");
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, position + b, bytes).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new TorchFormatException(file + ": cannot map storage '" + key + "': " + e.getMessage(), e);
        }
    }
}
