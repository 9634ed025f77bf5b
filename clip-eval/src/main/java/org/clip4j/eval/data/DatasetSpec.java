package org.clip4j.eval.data;

import org.clip4j.core.ClipException;
import org.clip4j.eval.PromptSet;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A dataset named on the command line:
 * <ul>
 *   <li>{@code fashion-mnist[:train|test][:DIR]} — IDX files, by default Debian's
 *       {@code /usr/share/datasets/fashion-mnist} ({@code apt-get install dataset-fashion-mnist});</li>
 *   <li>{@code mnist[:train|test]:DIR} — the same layout for MNIST;</li>
 *   <li>{@code cifar10[:train|test]:DIR}, {@code cifar100[:train|test]:DIR} — the binary batches;</li>
 *   <li>{@code imagefolder:DIR} — one sub-folder per class;</li>
 *   <li>{@code csv:FILE}, {@code tsv:FILE} — a manifest with path and label columns (and a caption column for
 *       retrieval);</li>
 *   <li>{@code openclipart:FILE} — the openclipart TSV manifest ({@code filepath}, {@code title},
 *       {@code category}).</li>
 * </ul>
 * Where a split is optional it is the test split unless the caller asks for another by default.
 *
 * @param kind     fashion-mnist, mnist, cifar10, cifar100, imagefolder, csv, tsv or openclipart
 * @param split    train or test, or null when not given
 * @param location folder or file, or null when not given
 */
public record DatasetSpec(String kind, String split, Path location) {
    /** Kinds that have train and test splits. */
    public static final List<String> SPLIT_KINDS = List.of("fashion-mnist", "mnist", "cifar10", "cifar100");
    /** Every kind. */
    public static final List<String> KINDS = List.of("fashion-mnist", "mnist", "cifar10", "cifar100", "imagefolder", "csv", "tsv", "openclipart");

    /** Parses {@code KIND[:SPLIT][:LOCATION]} (see the class comment). */
    public static DatasetSpec parse(String spec) {
        String[] parts = spec.split(":", 2);
        String kind = parts[0].trim().toLowerCase(java.util.Locale.ROOT);
        if (!KINDS.contains(kind)) {
            throw new ClipException("dataset '" + spec + "': unknown kind '" + kind + "', expected one of " + KINDS
                    + " (e.g. fashion-mnist:test, cifar10:test:DIR, imagefolder:DIR, csv:FILE)");
        }
        String rest = parts.length > 1 ? parts[1] : "";
        String split = null;
        if (SPLIT_KINDS.contains(kind)) {
            String[] sp = rest.split(":", 2);
            if (sp[0].equals("train") || sp[0].equals("test")) {
                split = sp[0];
                rest = sp.length > 1 ? sp[1] : "";
            }
        }
        Path location = rest.isEmpty() ? null : Path.of(rest);
        if (location == null && !kind.equals("fashion-mnist")) {
            throw new ClipException("dataset '" + spec + "': " + kind + " needs a " + (isFile(kind) ? "file" : "folder")
                    + ", e.g. " + kind + (SPLIT_KINDS.contains(kind) ? ":test" : "") + ":" + (isFile(kind) ? "FILE" : "DIR"));
        }
        return new DatasetSpec(kind, split, location);
    }

    private static boolean isFile(String kind) {
        return kind.equals("csv") || kind.equals("tsv") || kind.equals("openclipart");
    }

    /** Whether this kind has train and test splits. */
    public boolean hasSplits() {
        return SPLIT_KINDS.contains(kind);
    }

    /** This spec with another split (for kinds with splits). */
    public DatasetSpec withSplit(String s) {
        return new DatasetSpec(kind, s, location);
    }

    /** Opens the dataset; {@code defaultSplit} is used when the spec names none. */
    public ClassificationDataset open(String defaultSplit) {
        String s = split == null ? defaultSplit : split;
        return switch (kind) {
            case "fashion-mnist" -> {
                Path dir = location == null ? IdxDataset.DEBIAN_FASHION_MNIST : location;
                String hint = location == null
                        ? "Install it with: apt-get install dataset-fashion-mnist (Debian), or pass fashion-mnist:" + s + ":DIR."
                        : "Put the four Fashion-MNIST IDX files there, or install Debian's copy with: apt-get install dataset-fashion-mnist.";
                if (!Files.isDirectory(dir)) {
                    throw new ClipException("fashion-mnist: folder " + dir + " not found. " + hint);
                }
                yield IdxDataset.mnistLayout(dir, s, PromptSet.builtin("fashion-mnist").classes(), "fashion-mnist", hint);
            }
            case "mnist" -> IdxDataset.mnistLayout(location, s, List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), "mnist",
                    "Put MNIST's four IDX files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-…) there.");
            case "cifar10", "cifar100" -> {
                if (!Files.isDirectory(location)) throw new ClipException(kind + ": folder " + location + " not found. " + CifarDataset.INSTALL);
                yield CifarDataset.open(kind, s, location);
            }
            case "imagefolder" -> new ImageFolderDataset(location);
            case "csv", "tsv" -> new ManifestDataset(location);
            case "openclipart" -> {
                if (!Files.isRegularFile(location)) {
                    throw new ClipException("openclipart: manifest " + location + " not found (expected the TSV with filepath, "
                            + "title and category columns that the openclipart data preparation writes)");
                }
                yield ManifestDataset.openclipart(location);
            }
            default -> throw new IllegalStateException(kind);
        };
    }

    /** Opens the captioned images of a manifest kind (csv, tsv, openclipart) for retrieval. */
    public CaptionDataset openCaptions() {
        return switch (kind) {
            case "csv", "tsv" -> CaptionDataset.fromManifest(location);
            case "openclipart" -> CaptionDataset.openclipart(location);
            default -> throw new ClipException("dataset kind '" + kind + "' has no captions; retrieval needs csv:FILE, "
                    + "tsv:FILE or openclipart:FILE with a path and a caption column");
        };
    }

    @Override
    public String toString() {
        return kind + (split == null ? "" : ":" + split) + (location == null ? "" : ":" + location);
    }
}
