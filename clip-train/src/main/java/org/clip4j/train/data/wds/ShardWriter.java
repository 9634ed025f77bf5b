package org.clip4j.train.data.wds;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.clip4j.core.ClipException;
import org.clip4j.core.io.AtomicFile;
import org.clip4j.train.data.CsvManifest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a manifest's pairs as WebDataset shards {@code 000000.tar, 000001.tar, ...} in manifest order, plus a
 * {@code sizes.json}. Each sample is three members named as img2dataset names them, key = shard number (5 digits)
 * then the sample's number within its shard ({@code ceil(log10 N)} digits): {@code KEY.jpg} (or {@code .png},
 * {@code .jpeg}, {@code .webp}: the original bytes under the original extension), {@code KEY.txt} (the caption, UTF-8)
 * and {@code KEY.json} ({@code key}, {@code caption}, {@code source}). Every file is written atomically; member
 * times are fixed, so the same manifest gives the same bytes.
 *
 * <p>A row whose image file is missing or whose extension is not one of {@link ShardIndex#IMAGE_EXTENSIONS} is
 * skipped, logged and counted.
 */
public final class ShardWriter {
    private static final Logger LOG = LoggerFactory.getLogger(ShardWriter.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final FileTime MEMBER_TIME = FileTime.fromMillis(0);

    /** What {@link #write} produced. */
    public record Summary(List<Path> shards, long samples, long skipped, Map<String, Long> sizes) {
    }

    private record Pending(String ext, byte[] image, String caption, String source) {
    }

    private ShardWriter() {
    }

    /** Writes the pairs of {@code manifest} to {@code outDir} with {@code samplesPerShard} samples per shard. */
    public static Summary write(CsvManifest manifest, Path outDir, int samplesPerShard) {
        if (samplesPerShard < 1) throw new IllegalArgumentException("samples per shard " + samplesPerShard + ": expected >= 1");
        int sampleDigits = Math.max(1, Long.toString(samplesPerShard - 1L).length());
        Rows rows = new Rows(manifest);
        Map<String, Long> sizes = new LinkedHashMap<>();
        List<Path> written = new ArrayList<>();
        long samples = 0;
        Pending next = rows.next();
        while (next != null) {
            int shardNo = written.size();
            String fileName = String.format(Locale.ROOT, "%06d.tar", shardNo);
            Path target = outDir.resolve(fileName);
            Pending[] head = {next};
            int[] count = {0};
            try {
                AtomicFile.write(target, AtomicFile.IfExists.REPLACE, out -> {
                    TarArchiveOutputStream tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
                    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                    while (head[0] != null && count[0] < samplesPerShard) {
                        String key = String.format(Locale.ROOT, "%05d%0" + sampleDigits + "d", shardNo, count[0]);
                        writeSample(tar, key, head[0]);
                        count[0]++;
                        head[0] = rows.next();
                    }
                    tar.finish(); // AtomicFile flushes and closes the file
                    tar.flush();
                });
            } catch (IOException e) {
                throw new ClipException(target + ": cannot write shard: " + e.getMessage(), e);
            }
            next = head[0];
            sizes.put(fileName, (long) count[0]);
            written.add(target);
            samples += count[0];
        }
        ShardSizes.write(outDir, sizes);
        return new Summary(List.copyOf(written), samples, rows.skipped, Map.copyOf(sizes));
    }

    /** The manifest's readable rows in order; unreadable ones are logged and counted. */
    private static final class Rows {
        private final CsvManifest manifest;
        private long row;
        long skipped;

        Rows(CsvManifest manifest) {
            this.manifest = manifest;
        }

        Pending next() {
            while (row < manifest.size()) {
                long i = row++;
                Path image = manifest.imagePath(i);
                String name = image.getFileName().toString();
                int dot = name.lastIndexOf('.');
                String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
                if (!ShardIndex.IMAGE_EXTENSIONS.contains(ext)) {
                    skipped++;
                    LOG.warn("skipping pair {} of the manifest: {} is not .jpg/.jpeg/.png/.webp", i + 1, image);
                    continue;
                }
                try {
                    return new Pending(ext, Files.readAllBytes(image), manifest.caption(i), image.toString());
                } catch (IOException e) {
                    skipped++;
                    LOG.warn("skipping pair {} of the manifest: cannot read {}: {}", i + 1, image, e.getMessage());
                }
            }
            return null;
        }
    }

    private static void writeSample(TarArchiveOutputStream tar, String key, Pending p) throws IOException {
        ObjectNode meta = JSON.createObjectNode().put("key", key).put("caption", p.caption).put("source", p.source);
        member(tar, key + "." + p.ext, p.image);
        member(tar, key + ".txt", p.caption.getBytes(StandardCharsets.UTF_8));
        member(tar, key + ".json", JSON.writeValueAsBytes(meta));
    }

    private static void member(TarArchiveOutputStream tar, String name, byte[] data) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(data.length);
        e.setMode(0100644);
        e.setLastModifiedTime(MEMBER_TIME);
        tar.putArchiveEntry(e);
        tar.write(data);
        tar.closeArchiveEntry();
    }
}
