package org.clip4j.train.data.wds;

import org.clip4j.core.ClipException;
import org.clip4j.core.image.DecodedImage;
import org.clip4j.core.image.ImageDecoder;
import org.clip4j.train.data.ImageTextSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * WebDataset tar shards as a random-access {@link ImageTextSource}, so that the loader's global shuffle (a
 * permutation of every sample of every shard per epoch) and its exact resume work as for a manifest.
 *
 * <p>Sample {@code i} is found through the per-shard sample counts (cumulative offsets, binary search) and the
 * shard's {@link ShardIndex} (member offsets from a header-only pass); its bytes are then read at their offset
 * with a positional {@link FileChannel} read. The counts come from a {@code sizes.json} next to the shards when it
 * lists them (then each shard is indexed lazily, the first time one of its samples is read, once per source);
 * otherwise every unlisted shard is indexed when the source opens.
 *
 * <p>A sample without an image or a caption, with undecodable image bytes, or in a shard that cannot be read
 * throws a {@link ClipException} naming the shard and member: the loader skips and counts it.
 */
public final class WebDatasetSource implements ImageTextSource {
    private static final Logger LOG = LoggerFactory.getLogger(WebDatasetSource.class);

    private final String spec;
    private final List<Path> shards;
    private final long[] counts;
    private final long[] starts; // starts[s] = samples before shard s; starts[n] = size
    private final AtomicReferenceArray<Object> indexes; // List<ShardSample> or the ClipException that building threw
    private final Object[] locks;

    private WebDatasetSource(String spec, List<Path> shards, long[] counts, AtomicReferenceArray<Object> indexes) {
        this.spec = spec;
        this.shards = List.copyOf(shards);
        this.counts = counts;
        this.starts = new long[counts.length + 1];
        for (int s = 0; s < counts.length; s++) starts[s + 1] = starts[s] + counts[s];
        this.indexes = indexes;
        this.locks = new Object[counts.length];
        Arrays.setAll(locks, s -> new Object());
    }

    /**
     * Opens the shards that {@code spec} names ({@link ShardPattern#expandAll}: brace ranges, {@code ::} between
     * patterns); throws a {@link ClipException} naming a shard that does not exist.
     */
    public static WebDatasetSource open(String spec) {
        List<String> names = ShardPattern.expandAll(spec);
        List<Path> shards = new ArrayList<>(names.size());
        for (String name : names) {
            Path p = Path.of(name);
            if (!Files.isRegularFile(p)) throw new ClipException(name + ": no such shard (from '" + spec + "')");
            shards.add(p);
        }
        Map<Path, Map<String, Long>> sizesByDir = new HashMap<>();
        long[] counts = new long[shards.size()];
        AtomicReferenceArray<Object> indexes = new AtomicReferenceArray<>(shards.size());
        int counted = 0;
        for (int s = 0; s < shards.size(); s++) {
            Path shard = shards.get(s);
            Path dir = shard.toAbsolutePath().getParent();
            Long n = sizesByDir.computeIfAbsent(dir, ShardSizes::read).get(shard.getFileName().toString());
            if (n != null) {
                counts[s] = n;
                continue;
            }
            counted++;
            try {
                List<ShardSample> index = ShardIndex.build(shard);
                indexes.set(s, index);
                counts[s] = index.size();
                if (index.isEmpty()) {
                    LOG.warn("{}: holds no samples ({} bytes){}", shard, Files.size(shard),
                            Files.size(shard) == 0 ? ": an empty file, perhaps a copy that failed" : "");
                }
            } catch (ClipException e) {
                LOG.warn("{}; its samples are left out", e.getMessage());
            } catch (IOException e) {
                throw new ClipException(shard + ": cannot read: " + e.getMessage(), e);
            }
        }
        if (counted > 0) LOG.info("{}: counted the samples of {} shard(s) not listed in a {}", spec, counted, ShardSizes.FILE_NAME);
        return new WebDatasetSource(spec, shards, counts, indexes);
    }

    /** The shard files, in order. */
    public List<Path> shards() {
        return shards;
    }

    /** The number of samples of shard {@code s} (from sizes.json or the index). */
    public long shardSize(int s) {
        return counts[s];
    }

    @Override
    public long size() {
        return starts[starts.length - 1];
    }

    /** The sample's key within its shard. */
    public String key(long index) {
        return sample(index).key();
    }

    @Override
    public String caption(long index) {
        Located l = locate(index);
        ShardSample s = l.sample;
        if (s.text() == null) {
            throw new ClipException(l.shard + ": sample '" + s.key() + "' has no .txt member (expected a caption)");
        }
        return new String(read(l.shard, s.text()), StandardCharsets.UTF_8);
    }

    @Override
    public DecodedImage image(long index) {
        Located l = locate(index);
        ShardSample s = l.sample;
        if (s.image() == null) {
            throw new ClipException(l.shard + ": sample '" + s.key() + "' has no image member (expected ."
                    + String.join("/.", ShardIndex.IMAGE_EXTENSIONS.stream().sorted().toList()) + ")");
        }
        return ImageDecoder.decode(read(l.shard, s.image()), l.shard + ":" + s.image().name());
    }

    /** The original image bytes of sample {@code index}, as stored in the shard. */
    public byte[] imageBytes(long index) {
        Located l = locate(index);
        if (l.sample.image() == null) throw new ClipException(l.shard + ": sample '" + l.sample.key() + "' has no image member");
        return read(l.shard, l.sample.image());
    }

    /** The sample's {@code .json} member as text, or null when it has none. */
    public String metadata(long index) {
        Located l = locate(index);
        return l.sample.metadata() == null ? null : new String(read(l.shard, l.sample.metadata()), StandardCharsets.UTF_8);
    }

    @Override
    public String describe() {
        return spec + " (" + shards.size() + " shard" + (shards.size() == 1 ? "" : "s") + ", " + size() + " samples)";
    }

    private record Located(Path shard, ShardSample sample) {
    }

    private ShardSample sample(long index) {
        return locate(index).sample;
    }

    private Located locate(long index) {
        if (index < 0 || index >= size()) throw new IndexOutOfBoundsException("sample " + index + " of " + size());
        int s = Arrays.binarySearch(starts, index);
        s = s >= 0 ? s : -s - 2;
        while (counts[s] == 0) s++; // empty shards share their start with the next one
        List<ShardSample> index0 = index(s);
        long local = index - starts[s];
        Path shard = shards.get(s);
        if (local >= index0.size()) {
            throw new ClipException(shard + ": " + ShardSizes.FILE_NAME + " records " + counts[s] + " samples but the shard holds "
                    + index0.size() + "; sample " + local + " is missing");
        }
        return new Located(shard, index0.get((int) local));
    }

    @SuppressWarnings("unchecked")
    private List<ShardSample> index(int s) {
        Object o = indexes.get(s);
        if (o == null) {
            synchronized (locks[s]) {
                o = indexes.get(s);
                if (o == null) {
                    try {
                        List<ShardSample> built = ShardIndex.build(shards.get(s));
                        if (built.size() != counts[s]) {
                            LOG.warn("{}: {} records {} samples, the shard holds {}", shards.get(s), ShardSizes.FILE_NAME,
                                    counts[s], built.size());
                        }
                        o = built;
                    } catch (ClipException e) {
                        o = e;
                    }
                    indexes.set(s, o);
                }
            }
        }
        if (o instanceof ClipException e) throw new ClipException(e.getMessage(), e);
        return (List<ShardSample>) o;
    }

    private static byte[] read(Path shard, TarMember m) {
        if (m.length() > Integer.MAX_VALUE - 16) throw new ClipException(shard + ":" + m.name() + ": member too large (" + m.length() + " bytes)");
        ByteBuffer buf = ByteBuffer.allocate((int) m.length());
        try (FileChannel ch = FileChannel.open(shard, StandardOpenOption.READ)) {
            long pos = m.offset();
            while (buf.hasRemaining()) {
                int n = ch.read(buf, pos);
                if (n < 0) {
                    throw new ClipException(shard + ":" + m.name() + ": truncated, expected " + m.length() + " bytes at offset "
                            + m.offset());
                }
                pos += n;
            }
        } catch (IOException e) {
            throw new ClipException(shard + ":" + m.name() + ": cannot read: " + e.getMessage(), e);
        }
        return buf.array();
    }
}
