package org.clip4j.train.data.openclipart;

import org.clip4j.core.ClipException;
import org.clip4j.train.data.ManifestWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Turns Debian's Open Clip Art Library packages ({@code openclipart-png}: {@code /usr/share/openclipart/png},
 * {@code openclipart-svg}: {@code /usr/share/openclipart/svg}, the same tree of categories) into image-text
 * manifests {@code train.tsv}, {@code val.tsv} and {@code test.tsv} with columns {@code filepath} (absolute PNG
 * path), {@code title} (the caption) and {@code category} (the top folder).
 *
 * <p>The caption is the SVG's title followed by its keywords that differ from the title:
 * {@code "bat: mammal, animal"}. A PNG reached through a symbolic link (the package files some drawings under two
 * categories) is taken once, at its real path; the split ({@link Split}) hashes the real path relative to the PNG
 * folder. PNGs without an SVG, with an unreadable SVG, or with neither title nor keywords are left out and counted.
 */
public final class OpenClipartImporter {
    private static final Logger LOG = LoggerFactory.getLogger(OpenClipartImporter.class);
    /** Where Debian's {@code openclipart-png} puts the PNG renderings. */
    public static final Path DEFAULT_PNG_DIR = Path.of("/usr/share/openclipart/png");
    /** Where Debian's {@code openclipart-svg} puts the drawings. */
    public static final Path DEFAULT_SVG_DIR = Path.of("/usr/share/openclipart/svg");
    /** The manifest columns. */
    public static final List<String> COLUMNS = List.of("filepath", "title", "category");

    /**
     * What an import wrote and left out.
     *
     * @param perSplit   rows written per split
     * @param categories rows written per category, by name
     * @param duplicates links to a PNG already taken
     * @param noSvg      PNGs without a matching SVG
     * @param badSvg     SVGs that are not readable XML
     * @param untitled   SVGs with neither title nor keywords
     */
    public record Summary(Map<Split, Long> perSplit, Map<String, Long> categories, long duplicates, long noSvg,
                          long badSvg, long untitled) {
        /** Rows written in all splits. */
        public long total() {
            return perSplit.values().stream().mapToLong(Long::longValue).sum();
        }

        /** One line: counts per split, number of categories and what was left out. */
        public String line() {
            return String.format(Locale.ROOT, "%d pairs: train %d, val %d, test %d; %d categories; left out: %d duplicate links, "
                            + "%d without SVG, %d unreadable SVG, %d untitled", total(), perSplit.get(Split.TRAIN),
                    perSplit.get(Split.VAL), perSplit.get(Split.TEST), categories.size(), duplicates, noSvg, badSvg, untitled);
        }
    }

    private OpenClipartImporter() {
    }

    /** Reads {@code pngDir} and {@code svgDir} and writes the three manifests to {@code outDir}. */
    public static Summary run(Path pngDir, Path svgDir, Path outDir) {
        requireDir(pngDir, "openclipart-png");
        requireDir(svgDir, "openclipart-svg");
        Path pngRoot, svgRoot;
        List<Path> pngs;
        try {
            pngRoot = pngDir.toRealPath();
            svgRoot = svgDir.toRealPath();
            try (Stream<Path> s = Files.walk(pngRoot)) {
                pngs = s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png"))
                        .filter(Files::isRegularFile).sorted().toList();
            }
        } catch (IOException e) {
            throw new ClipException(pngDir + ": cannot list: " + e.getMessage(), e);
        }
        Map<Split, List<List<String>>> rows = new EnumMap<>(Split.class);
        for (Split s : Split.values()) rows.put(s, new ArrayList<>());
        Map<String, Long> categories = new TreeMap<>();
        Set<Path> taken = new HashSet<>();
        long duplicates = 0, noSvg = 0, badSvg = 0, untitled = 0;
        for (Path png : pngs) {
            Path real;
            try {
                real = png.toRealPath();
            } catch (IOException e) {
                continue; // a dangling link
            }
            if (!taken.add(real)) {
                duplicates++;
                continue;
            }
            Path rel = real.startsWith(pngRoot) ? pngRoot.relativize(real) : pngRoot.relativize(png);
            String relName = rel.toString().replace('\\', '/');
            Path svg = svgRoot.resolve(relName.substring(0, relName.length() - 4) + ".svg");
            if (!Files.isRegularFile(svg)) {
                noSvg++;
                LOG.debug("{}: no SVG at {}", png, svg);
                continue;
            }
            SvgMetadata meta;
            try {
                meta = SvgMetadata.read(svg);
            } catch (ClipException e) {
                badSvg++;
                LOG.warn("leaving out {}: {}", png, e.getMessage());
                continue;
            }
            String caption = caption(meta);
            if (caption.isEmpty()) {
                untitled++;
                continue;
            }
            String category = rel.getNameCount() > 1 ? rel.getName(0).toString() : "unsorted";
            rows.get(Split.of(relName)).add(List.of(real.toString(), caption, category));
            categories.merge(category, 1L, Long::sum);
        }
        Map<Split, Long> perSplit = new EnumMap<>(Split.class);
        for (Split s : Split.values()) {
            ManifestWriter.writeTsv(outDir.resolve(s.fileName()), COLUMNS, rows.get(s));
            perSplit.put(s, (long) rows.get(s).size());
        }
        return new Summary(perSplit, categories, duplicates, noSvg, badSvg, untitled);
    }

    /** The title, then the keywords that differ from it: {@code "bat: mammal, animal"}; empty when there is neither. */
    static String caption(SvgMetadata meta) {
        List<String> extra = new ArrayList<>();
        for (String k : meta.keywords()) if (!k.equalsIgnoreCase(meta.title())) extra.add(k);
        if (meta.title().isEmpty()) return String.join(", ", extra);
        return extra.isEmpty() ? meta.title() : meta.title() + ": " + String.join(", ", extra);
    }

    private static void requireDir(Path dir, String pkg) {
        if (!Files.isDirectory(dir)) {
            throw new ClipException(dir + ": no such folder (the " + pkg + " package's files); install them with "
                    + "'apt-get install openclipart-png openclipart-svg' or give their folders (run's pngDir / svgDir,"
                    + " `--png-dir` / `--svg-dir` of the CLI)");
        }
    }
}
