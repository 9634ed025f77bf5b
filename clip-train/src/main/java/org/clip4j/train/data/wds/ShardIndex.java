package org.clip4j.train.data.wds;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarFile;
import org.clip4j.core.ClipException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The samples of one uncompressed tar shard and where their members lie, from a pass over the tar headers only
 * (Commons Compress {@link TarFile} seeks past the member data).
 *
 * <p>Grouping follows WebDataset: a member {@code dir/abc.seg.png} has key {@code dir/abc} and extension
 * {@code seg.png}; consecutive members with one key form a sample. Extensions {@code jpg jpeg png webp} (any case)
 * are the image, {@code txt} the caption, {@code json} metadata; other members, directories and names whose file
 * part starts with {@code __} or has no dot are ignored.
 */
public final class ShardIndex {
    private static final Logger LOG = LoggerFactory.getLogger(ShardIndex.class);
    /** Member extensions read as the image, in order of preference within a sample. */
    public static final Set<String> IMAGE_EXTENSIONS = Set.of("jpg", "jpeg", "png", "webp");

    private ShardIndex() {
    }

    /**
     * Indexes {@code shard}; throws a {@link ClipException} naming it when it is not a readable tar. A tar cut short
     * keeps the members before the cut (a warning names the shard and where it was cut): a sample whose members
     * were partly cut off lacks them, so reading it fails and the loader skips and counts it.
     */
    public static List<ShardSample> build(Path shard) {
        List<TarArchiveEntry> entries;
        try (TarFile tar = new TarFile(shard)) {
            entries = tar.getEntries();
        } catch (IOException | RuntimeException e) {
            entries = intactEntries(shard, e);
        }
        List<ShardSample> samples = new ArrayList<>();
        String key = null;
        TarMember image = null, text = null, meta = null;
        for (TarArchiveEntry e : entries) {
            if (!e.isFile()) continue;
            String name = e.getName();
            int slash = name.lastIndexOf('/');
            String file = name.substring(slash + 1);
            int dot = file.indexOf('.');
            if (dot <= 0 || file.startsWith("__")) continue;
            String k = name.substring(0, slash + 1 + dot);
            String ext = file.substring(dot + 1).toLowerCase(Locale.ROOT);
            if (!k.equals(key)) {
                if (key != null) samples.add(new ShardSample(key, image, text, meta));
                key = k;
                image = text = meta = null;
            }
            TarMember m = new TarMember(name, e.getDataOffset(), e.getSize());
            if (IMAGE_EXTENSIONS.contains(ext)) {
                if (image == null) image = m;
            } else if (ext.equals("txt")) {
                if (text == null) text = m;
            } else if (ext.equals("json")) {
                if (meta == null) meta = m;
            }
        }
        if (key != null) samples.add(new ShardSample(key, image, text, meta));
        return List.copyOf(samples);
    }

    /** The members before the cut of a truncated tar; rethrows {@code failure} (named) when it is not one. */
    private static List<TarArchiveEntry> intactEntries(Path shard, Exception failure) {
        try (FileChannel ch = FileChannel.open(shard, StandardOpenOption.READ)) {
            long intact = TarPrefix.intactLength(ch);
            if (intact >= 0) {
                try (TarFile tar = new TarFile(TarPrefix.channel(ch, intact))) {
                    List<TarArchiveEntry> entries = tar.getEntries();
                    LOG.warn("{}: truncated tar ({} bytes, cut in the member at byte {}); keeping the {} members before the cut",
                            shard, ch.size(), intact, entries.size());
                    return entries;
                }
            }
        } catch (IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
        throw new ClipException(shard + ": not a readable uncompressed tar shard: " + failure.getMessage(), failure);
    }
}
