package org.clip4j.train.data;

import org.clip4j.core.ClipException;
import org.clip4j.core.image.DecodedImage;
import org.clip4j.core.image.ImageDecoder;
import org.clip4j.eval.data.DelimitedTable;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A CSV/TSV manifest of image paths and captions, as OpenCLIP's {@code --train-data x.csv}: a header row naming
 * the columns, by default {@code filepath} and {@code title}; image paths relative to the manifest's folder (or
 * absolute). A {@code .tsv} file is tab-separated, anything else comma-separated unless told otherwise. Quoted
 * fields (with doubled quotes, separators and line breaks inside) follow RFC 4180, in TSV too; parsing is
 * {@link DelimitedTable#readRows}.
 */
public final class CsvManifest implements ImageTextSource {
    private final Path file;
    private final List<Path> images;
    private final List<String> captions;

    private CsvManifest(Path file, List<Path> images, List<String> captions) {
        this.file = file;
        this.images = images;
        this.captions = captions;
    }

    /** Reads {@code file} with the default columns and the separator its extension implies. */
    public static CsvManifest read(Path file) {
        return read(file, "filepath", "title", null);
    }

    /**
     * Reads {@code file}. {@code separator} null means tab for {@code .tsv}, comma otherwise. Throws a
     * {@link ClipException} naming the file, line and column for a missing column or a malformed row.
     */
    public static CsvManifest read(Path file, String imageKey, String captionKey, Character separator) {
        List<List<String>> rows = rows(file, separator);
        List<String> header = rows.get(0);
        int img = header.indexOf(imageKey), cap = header.indexOf(captionKey);
        if (img < 0 || cap < 0) {
            throw new ClipException(file + ": header " + header + " lacks column '" + (img < 0 ? imageKey : captionKey)
                    + "' (the columns: read's imageKey / captionKey, `--csv-img-key` / `--csv-caption-key` of the CLI;"
                    + " the separator: read's separator, `--csv-separator`)");
        }
        Path base = file.toAbsolutePath().getParent();
        List<Path> images = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        for (int r = 1; r < rows.size(); r++) {
            List<String> row = rows.get(r);
            if (row.size() == 1 && row.get(0).isEmpty()) continue; // blank line
            if (row.size() <= Math.max(img, cap)) {
                throw new ClipException(file + ": row " + (r + 1) + " has " + row.size() + " fields, expected at least "
                        + (Math.max(img, cap) + 1));
            }
            images.add(base.resolve(row.get(img)));
            captions.add(row.get(cap));
        }
        return new CsvManifest(file, List.copyOf(images), List.copyOf(captions));
    }

    /**
     * The values of column {@code column} of {@code file}, one per pair in the order {@link #read} gives them (a
     * category or label column next to the image and caption columns, as {@code clip data openclipart} writes).
     * {@code separator} null means tab for {@code .tsv}, comma otherwise; throws a {@link ClipException} naming the
     * file when the column is missing or a row is too short.
     */
    public static List<String> column(Path file, String column, Character separator) {
        List<List<String>> rows = rows(file, separator);
        List<String> header = rows.get(0);
        int col = header.indexOf(column);
        if (col < 0) throw new ClipException(file + ": header " + header + " lacks column '" + column + "'");
        List<String> values = new ArrayList<>();
        for (int r = 1; r < rows.size(); r++) {
            List<String> row = rows.get(r);
            if (row.size() == 1 && row.get(0).isEmpty()) continue; // blank line
            if (row.size() <= col) {
                throw new ClipException(file + ": row " + (r + 1) + " has " + row.size() + " fields, expected at least " + (col + 1));
            }
            values.add(row.get(col));
        }
        return List.copyOf(values);
    }

    /** The parsed rows of {@code file}, the header first (never empty): clip-eval's one delimited-text parser. */
    private static List<List<String>> rows(Path file, Character separator) {
        return DelimitedTable.readRows(file, separator);
    }

    @Override
    public long size() {
        return images.size();
    }

    @Override
    public String caption(long index) {
        return captions.get(Math.toIntExact(index));
    }

    /** The image path of row {@code index}. */
    public Path imagePath(long index) {
        return images.get(Math.toIntExact(index));
    }

    @Override
    public DecodedImage image(long index) {
        return ImageDecoder.read(imagePath(index));
    }

    @Override
    public String describe() {
        return file + " (" + images.size() + " pairs)";
    }
}
