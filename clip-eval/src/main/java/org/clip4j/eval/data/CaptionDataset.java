package org.clip4j.eval.data;

import org.clip4j.core.ClipException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Images with one or several captions each, for retrieval: a CSV/TSV manifest with a path column and a caption
 * column ({@code caption}, {@code text} or {@code title}); rows that repeat a path add captions to that image.
 * Images keep their first-appearance order; {@link #textToImage()} maps each caption to its image. Rows with an
 * empty path or caption are skipped and counted ({@link #skippedRows()}), as training skips them; so are the rows
 * of images that turn out unreadable ({@link #without}).
 *
 * @param skippedRows manifest rows left out (empty path or caption, unreadable image)
 */
public record CaptionDataset(List<Path> images, List<String> captions, int[] textToImage, String description,
                             int skippedRows) {
    private static final Logger LOG = LoggerFactory.getLogger(CaptionDataset.class);
    static final String[] CAPTION_COLUMNS = {"caption", "text", "title"};

    /** Reads a manifest with the usual column names. */
    public static CaptionDataset fromManifest(Path manifest) {
        return fromManifest(manifest, ManifestDataset.PATH_COLUMNS, CAPTION_COLUMNS);
    }

    /** The openclipart manifest: {@code filepath} and its {@code title} as the caption. */
    public static CaptionDataset openclipart(Path tsv) {
        return fromManifest(tsv, new String[]{"filepath"}, new String[]{"title"});
    }

    /** Reads a manifest with the given accepted column names. */
    public static CaptionDataset fromManifest(Path manifest, String[] pathColumns, String[] captionColumns) {
        DelimitedTable t = DelimitedTable.read(manifest);
        int pc = t.column("image path", pathColumns), cc = t.column("caption", captionColumns);
        Path base = manifest.toAbsolutePath().getParent();
        Map<Path, Integer> index = new LinkedHashMap<>();
        List<String> captions = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        int skipped = 0;
        for (int i = 0; i < t.rows().size(); i++) {
            List<String> r = t.rows().get(i);
            String p = r.get(pc).strip(), c = r.get(cc).strip();
            if (p.isEmpty() || c.isEmpty()) {
                if (skipped++ < 10) {
                    LOG.warn("{}: skipping row {}: empty {}", manifest, i + 2, t.header().get(p.isEmpty() ? pc : cc));
                }
                continue;
            }
            int img = index.computeIfAbsent(base.resolve(p), k -> index.size());
            captions.add(c);
            owner.add(img);
        }
        if (captions.isEmpty()) {
            throw new ClipException(manifest + ": no usable rows after the header" + (skipped > 0 ? " (" + skipped + " skipped)" : ""));
        }
        return new CaptionDataset(List.copyOf(index.keySet()), List.copyOf(captions),
                owner.stream().mapToInt(Integer::intValue).toArray(),
                "captions " + manifest + " (" + index.size() + " images, " + captions.size() + " captions)", skipped);
    }

    /**
     * This dataset without the images numbered {@code bad} (unreadable files) and their captions, which are added
     * to {@link #skippedRows()}; the other images keep their order. Throws a {@link ClipException} when nothing is left.
     */
    public CaptionDataset without(Set<Integer> bad) {
        if (bad.isEmpty()) return this;
        int[] newIndex = new int[images.size()];
        List<Path> keptImages = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            newIndex[i] = bad.contains(i) ? -1 : keptImages.size();
            if (!bad.contains(i)) keptImages.add(images.get(i));
        }
        List<String> keptCaptions = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int j = 0; j < captions.size(); j++) {
            if (newIndex[textToImage[j]] < 0) continue;
            keptCaptions.add(captions.get(j));
            owner.add(newIndex[textToImage[j]]);
        }
        int dropped = captions.size() - keptCaptions.size();
        if (keptCaptions.isEmpty()) throw new ClipException(description + ": no readable image left");
        return new CaptionDataset(List.copyOf(keptImages), List.copyOf(keptCaptions),
                owner.stream().mapToInt(Integer::intValue).toArray(), description, skippedRows + dropped);
    }
}
