package org.clip4j.eval.data;

import org.clip4j.core.ClipException;
import org.clip4j.core.image.ImagePreprocessor;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Images listed in a CSV or TSV manifest ({@link DelimitedTable}) with a path column ({@code path},
 * {@code filepath}, {@code file}, {@code image} or {@code filename}) and a label column ({@code label},
 * {@code category} or {@code class}). Relative paths are resolved against the manifest's folder. Classes are the
 * distinct labels in sorted order unless a class list is given (then every label must be in it).
 */
public final class ManifestDataset implements ClassificationDataset {
    static final String[] PATH_COLUMNS = {"path", "filepath", "file", "image", "filename"};
    static final String[] LABEL_COLUMNS = {"label", "category", "class"};

    private final Path manifest;
    private final List<Path> files = new ArrayList<>();
    private final int[] labels;
    private final List<String> classes;

    /** A manifest with the usual column names and sorted distinct labels as classes. */
    public ManifestDataset(Path manifest) {
        this(manifest, PATH_COLUMNS, LABEL_COLUMNS, null);
    }

    /**
     * @param pathColumns  accepted names of the path column (the first present is used)
     * @param labelColumns accepted names of the label column
     * @param classes      the class list, or null for the sorted distinct labels
     */
    public ManifestDataset(Path manifest, String[] pathColumns, String[] labelColumns, List<String> classes) {
        this.manifest = manifest;
        DelimitedTable t = DelimitedTable.read(manifest);
        int pc = t.column("image path", pathColumns), lc = t.column("label", labelColumns);
        if (t.rows().isEmpty()) throw new ClipException(manifest + ": no rows after the header");
        if (classes == null) {
            TreeSet<String> distinct = new TreeSet<>();
            for (List<String> r : t.rows()) distinct.add(r.get(lc).strip());
            classes = List.copyOf(distinct);
        }
        this.classes = List.copyOf(classes);
        this.labels = new int[t.rows().size()];
        Path base = manifest.toAbsolutePath().getParent();
        for (int i = 0; i < t.rows().size(); i++) {
            List<String> r = t.rows().get(i);
            String p = r.get(pc).strip(), l = r.get(lc).strip();
            if (p.isEmpty()) throw new ClipException(manifest + ": row " + (i + 2) + " has an empty " + t.header().get(pc));
            int idx = this.classes.indexOf(l);
            if (idx < 0) throw new ClipException(manifest + ": row " + (i + 2) + " has label '" + l + "', not one of the " + this.classes.size() + " classes");
            files.add(base.resolve(p));
            labels[i] = idx;
        }
    }

    /**
     * The 22 top folders of Debian's openclipart-png, sorted: the classes of every openclipart split, so that train,
     * validation and test share one label space even when a small category is missing from a split.
     */
    public static final List<String> OPENCLIPART_CATEGORIES = List.of("animals", "buildings", "buttons", "computer",
            "containers", "decorations", "education", "electronics", "food", "geography", "logos", "office", "people",
            "plants", "recreation", "science", "shapes", "signs_and_symbols", "special", "tools", "transportation",
            "unsorted");

    /**
     * The openclipart manifest: a TSV with {@code filepath}, {@code title} and {@code category}; the classes are
     * {@link #OPENCLIPART_CATEGORIES}.
     */
    public static ManifestDataset openclipart(Path tsv) {
        return new ManifestDataset(tsv, new String[]{"filepath"}, new String[]{"category"}, OPENCLIPART_CATEGORIES);
    }

    /** The file of image {@code i}. */
    public Path file(int i) {
        return files.get(i);
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public List<String> classes() {
        return classes;
    }

    @Override
    public int label(int i) {
        return labels[i];
    }

    @Override
    public BufferedImage image(int i) {
        return ImageFiles.readRgb(files.get(i));
    }

    @Override
    public float[] pixels(int i, ImagePreprocessor pre) {
        return pre.apply(files.get(i));
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "manifest %s (%,d images, %d classes)", manifest, size(), classes.size());
    }
}
