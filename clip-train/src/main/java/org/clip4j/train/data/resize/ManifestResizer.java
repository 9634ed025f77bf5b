package org.clip4j.train.data.resize;

import org.clip4j.core.ClipException;
import org.clip4j.core.image.DecodedImage;
import org.clip4j.core.image.ImageDecoder;
import org.clip4j.eval.data.DelimitedTable;
import org.clip4j.core.io.AtomicFile;
import org.clip4j.train.data.ManifestWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Writes copies of CSV/TSV manifests whose images are downscaled once to a shorter side of N pixels
 * ({@link ShorterSide}: Pillow-exact bicubic, aspect kept, never upscaled), as img2dataset resizes at download
 * time: decoding large originals otherwise dominates training.
 *
 * <p>For each manifest {@code M}, {@code OUT/M's file name} gets the same header, separator and columns, with the
 * image column pointing at {@code images/NAME} (relative to the new manifest). A resized image is written as PNG
 * in its decoded mode ({@link PngEncoder}: RGBA keeps its un-premultiplied alpha, palette images their palette);
 * an image already small enough is copied byte for byte when it is a PNG, JPEG or WebP file (else re-encoded as
 * PNG). {@code NAME} is the original's file stem plus 8 hex digits of the SHA-1 of its absolute path, so an image
 * listed several times (in one manifest or several) is processed once. Images are processed on a thread pool;
 * an image that cannot be read or decoded is logged with its file name, counted, and its rows are left out. Every
 * file is written atomically.
 */
public final class ManifestResizer {
    private static final Logger LOG = LoggerFactory.getLogger(ManifestResizer.class);
    private static final Set<String> COPYABLE = Set.of("png", "jpg", "jpeg", "webp");

    /** Receives progress after each image, on the calling thread. */
    @FunctionalInterface
    public interface Progress {
        /** {@code done} of {@code total} distinct images processed, {@code skipped} of them unreadable. */
        void update(long done, long total, long skipped);
    }

    /**
     * What {@link #run} did.
     *
     * @param manifests   the manifests written
     * @param images      distinct images listed
     * @param resized     images downscaled and written as PNG
     * @param copied      images already small enough, copied (or re-encoded when not PNG/JPEG/WebP)
     * @param skipped     images that could not be read or decoded, as "file: reason"
     * @param rows        manifest rows written
     * @param rowsDropped manifest rows left out because their image was skipped
     */
    public record Summary(List<Path> manifests, long images, long resized, long copied, List<String> skipped,
                          long rows, long rowsDropped) {
        /** One line for the console. */
        public String line() {
            return String.format(Locale.ROOT, "%d images: %d resized, %d already small enough, %d skipped (unreadable or too large); "
                    + "%d rows written, %d left out", images, resized, copied, skipped.size(), rows, rowsDropped);
        }
    }

    /** Optional settings of a {@link ManifestResizer}. */
    public static final class Builder {
        private final int shorterSide;
        private String imageKey = "filepath";
        private Character separator;
        private int threads = Runtime.getRuntime().availableProcessors();
        private Progress progress = (done, total, skipped) -> { };

        private Builder(int shorterSide) {
            if (shorterSide < 1) throw new IllegalArgumentException("shorter side " + shorterSide + ": expected >= 1 pixel");
            this.shorterSide = shorterSide;
        }

        /** The image-path column (default {@code filepath}). */
        public Builder imageKey(String key) {
            this.imageKey = key;
            return this;
        }

        /** The separator; null (the default) means tab for {@code .tsv}, comma otherwise. */
        public Builder separator(Character sep) {
            this.separator = sep;
            return this;
        }

        /** Images processed at once (default: the number of processors). Each holds a decoded original in memory. */
        public Builder threads(int n) {
            if (n < 1) throw new IllegalArgumentException("threads " + n + ": expected >= 1");
            this.threads = n;
            return this;
        }

        /** Where progress goes (default: nowhere). */
        public Builder progress(Progress p) {
            this.progress = p;
            return this;
        }

        /** The resizer. */
        public ManifestResizer build() {
            return new ManifestResizer(this);
        }
    }

    /** One manifest read: its rows and, per data row, the image it lists. */
    private record Source(Path file, Path out, char sep, List<String> header, int column, List<List<String>> rows,
                          List<Path> images) {
    }

    /** The outcome for one distinct image: the name under {@code images/}, or null with the reason it was skipped. */
    private record Outcome(Path source, String name, boolean resized, String failure) {
    }

    private final Builder b;

    private ManifestResizer(Builder b) {
        this.b = b;
    }

    /** A builder for copies with shorter side {@code shorterSide} pixels. */
    public static Builder builder(int shorterSide) {
        return new Builder(shorterSide);
    }

    /** Resizes the images of {@code manifests} into {@code outDir/images} and writes the new manifests to {@code outDir}. */
    public Summary run(List<Path> manifests, Path outDir) {
        List<Source> sources = new ArrayList<>();
        Set<Path> outs = new HashSet<>();
        Map<Path, Boolean> distinct = new LinkedHashMap<>();
        for (Path m : manifests) {
            Source s = read(m, outDir);
            if (!outs.add(s.out())) throw new ClipException(m + ": another manifest of the same file name also goes to " + s.out());
            sources.add(s);
            for (Path p : s.images()) distinct.put(p, Boolean.TRUE);
        }
        Path imageDir = outDir.resolve("images");
        try {
            Files.createDirectories(imageDir);
        } catch (IOException e) {
            throw new ClipException(imageDir + ": cannot create folder: " + e.getMessage(), e);
        }
        Map<Path, Outcome> outcomes = process(new ArrayList<>(distinct.keySet()), imageDir);

        long resized = 0, copied = 0;
        List<String> skipped = new ArrayList<>();
        for (Outcome o : outcomes.values()) {
            if (o.failure() != null) skipped.add(o.failure());
            else if (o.resized()) resized++;
            else copied++;
        }
        List<Path> written = new ArrayList<>();
        long rows = 0, dropped = 0;
        for (Source s : sources) {
            List<List<String>> out = new ArrayList<>();
            for (int r = 0; r < s.rows().size(); r++) {
                Outcome o = outcomes.get(s.images().get(r));
                if (o.name() == null) {
                    dropped++;
                    continue;
                }
                List<String> row = new ArrayList<>(s.rows().get(r));
                row.set(s.column(), "images/" + o.name());
                out.add(row);
            }
            ManifestWriter.write(s.out(), s.sep(), s.header(), out);
            written.add(s.out());
            rows += out.size();
        }
        return new Summary(List.copyOf(written), outcomes.size(), resized, copied, List.copyOf(skipped), rows, dropped);
    }

    /** Reads manifest {@code m}: rows padded to the header's length, image paths resolved against its folder. */
    private Source read(Path m, Path outDir) {
        char sep = b.separator != null ? b.separator : DelimitedTable.defaultSeparator(m);
        List<List<String>> all = DelimitedTable.readRows(m, sep);
        List<String> header = all.get(0);
        int col = header.indexOf(b.imageKey);
        if (col < 0) {
            throw new ClipException(m + ": header " + header + " lacks column '" + b.imageKey
                    + "' (the image column: Builder.imageKey, `--csv-img-key` of the CLI; the separator: Builder.separator,"
                    + " `--csv-separator`)");
        }
        Path out = outDir.resolve(m.getFileName().toString());
        if (out.toAbsolutePath().normalize().equals(m.toAbsolutePath().normalize())) {
            throw new ClipException(m + ": the output folder is the manifest's own folder; choose another (run's"
                    + " outDir, `--out` of the CLI)");
        }
        Path base = m.toAbsolutePath().getParent();
        List<List<String>> rows = new ArrayList<>();
        List<Path> images = new ArrayList<>();
        for (int r = 1; r < all.size(); r++) {
            List<String> row = new ArrayList<>(all.get(r));
            if (row.size() > header.size() || row.size() <= col) {
                throw new ClipException(m + ": row " + (r + 1) + " has " + row.size() + " fields, expected "
                        + (row.size() > header.size() ? "at most " + header.size() + " (the header's)" : "at least " + (col + 1)));
            }
            while (row.size() < header.size()) row.add("");
            rows.add(row);
            images.add(base.resolve(row.get(col)).toAbsolutePath().normalize());
        }
        return new Source(m, out, sep, header, col, rows, images);
    }

    /** Resizes every image on {@link Builder#threads} threads, reporting progress here. */
    private Map<Path, Outcome> process(List<Path> images, Path imageDir) {
        Map<Path, Outcome> outcomes = new HashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(b.threads, Math.max(1, images.size())), r -> {
            Thread t = new Thread(r, "clip4j-resize");
            t.setDaemon(true);
            return t;
        });
        try {
            ExecutorCompletionService<Outcome> done = new ExecutorCompletionService<>(pool);
            for (Path p : images) done.submit(() -> one(p, imageDir));
            long skipped = 0;
            for (int i = 0; i < images.size(); i++) {
                Outcome o = done.take().get();
                outcomes.put(o.source(), o);
                if (o.failure() != null) skipped++;
                b.progress.update(i + 1, images.size(), skipped);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClipException("interrupted while resizing images", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new ClipException("resizing failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
        return outcomes;
    }

    /** Decodes, resizes and writes one image; an unreadable image is an outcome, a failed write an exception. */
    private Outcome one(Path source, Path imageDir) {
        DecodedImage image;
        DecodedImage small;
        try {
            image = ImageDecoder.read(source);
            small = ShorterSide.resize(image, b.shorterSide);
        } catch (RuntimeException | OutOfMemoryError e) {
            String why = e instanceof ClipException ? e.getMessage() : source + ": " + e;
            LOG.warn("skipping {}", why);
            return new Outcome(source, null, false, why);
        }
        boolean resized = small != image;
        String ext = extension(source);
        boolean copy = !resized && COPYABLE.contains(ext);
        String name = stem(source) + "-" + pathHash(source) + "." + (copy ? ext : "png");
        Path target = imageDir.resolve(name);
        try {
            if (copy) {
                byte[] bytes = Files.readAllBytes(source);
                AtomicFile.write(target, AtomicFile.IfExists.REPLACE, out -> out.write(bytes));
            } else {
                byte[] png = PngEncoder.encode(small);
                AtomicFile.write(target, AtomicFile.IfExists.REPLACE, out -> out.write(png));
            }
        } catch (IOException e) {
            throw new ClipException(target + ": cannot write the resized copy of " + source + ": " + e.getMessage(), e);
        }
        return new Outcome(source, name, resized, null);
    }

    private static String extension(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /** The file name without extension, other characters than letters, digits, '.', '_' and '-' as '_', at most 64. */
    static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        if (dot > 0) n = n.substring(0, dot);
        String clean = n.replaceAll("[^A-Za-z0-9._-]", "_");
        return clean.length() > 64 ? clean.substring(0, 64) : clean;
    }

    /** The first 8 hex digits of the SHA-1 of the absolute path: distinct images with one file name stay apart. */
    static String pathHash(Path p) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-1").digest(p.toString().getBytes(StandardCharsets.UTF_8));
            return String.format(Locale.ROOT, "%02x%02x%02x%02x", d[0], d[1], d[2], d[3]);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
