package org.clip4j.eval.data;

import org.clip4j.core.ClipException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Images with one or several captions each, for retrieval: a CSV/TSV manifest with a path column and a caption
 * column ({@code caption}, {@code text} or {@code title}); rows that repeat a path add captions to that image.
 * Images keep their first-appearance order; {@link #textToImage()} maps each caption to its image.
 */
public record CaptionDataset(List<Path> images, List<String> captions, int[] textToImage, String description) {
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
        for (int i = 0; i < t.rows().size(); i++) {
            List<String> r = t.rows().get(i);
            String p = r.get(pc).strip(), c = r.get(cc).strip();
            if (p.isEmpty()) throw new ClipException(manifest + ": row " + (i + 2) + " has an empty " + t.header().get(pc));
            if (c.isEmpty()) throw new ClipException(manifest + ": row " + (i + 2) + " has an empty " + t.header().get(cc));
            int img = index.computeIfAbsent(base.resolve(p), k -> index.size());
            captions.add(c);
            owner.add(img);
        }
        if (captions.isEmpty()) throw new ClipException(manifest + ": no rows after the header");
        return new CaptionDataset(List.copyOf(index.keySet()), List.copyOf(captions),
                owner.stream().mapToInt(Integer::intValue).toArray(),
                "captions " + manifest + " (" + index.size() + " images, " + captions.size() + " captions)");
    }
}
