package org.clip4j.eval.data;

import org.clip4j.core.ClipException;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * MNIST-style IDX images ({@code [n, rows, cols]} grayscale) and labels ({@code [n]}), e.g. Fashion-MNIST as
 * Debian's {@code dataset-fashion-mnist} installs it in {@code /usr/share/datasets/fashion-mnist}
 * ({@code train-images-idx3-ubyte.gz}, {@code t10k-labels-idx1-ubyte.gz}, …). Images are returned as RGB
 * (gray replicated to three channels), as CLIP expects.
 */
public final class IdxDataset implements ClassificationDataset {
    /** Where Debian's {@code dataset-fashion-mnist} package puts the files. */
    public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    private final IdxFile images, labels;
    private final List<String> classes;
    private final String name;

    /** Images and labels from two IDX files; {@code classes} names the label values 0, 1, …. */
    public IdxDataset(Path imageFile, Path labelFile, List<String> classes, String name) {
        this.images = IdxFile.read(imageFile);
        this.labels = IdxFile.read(labelFile);
        this.classes = List.copyOf(classes);
        this.name = name;
        if (images.dims().length != 3) {
            throw new ClipException(imageFile + ": images must be an IDX array [n, rows, cols], found rank " + images.dims().length);
        }
        if (labels.dims().length != 1 || labels.dims()[0] != images.dims()[0]) {
            throw new ClipException(labelFile + ": labels must be an IDX vector of " + images.dims()[0]
                    + " entries (one per image in " + imageFile.getFileName() + "), found " + java.util.Arrays.toString(labels.dims()));
        }
        for (int i = 0; i < labels.data().length; i++) {
            int l = labels.data()[i] & 0xff;
            if (l >= classes.size()) {
                throw new ClipException(labelFile + ": label " + l + " at index " + i + " but only " + classes.size() + " classes");
            }
        }
    }

    /**
     * The MNIST-format dataset in {@code dir} with file prefix {@code train} or {@code t10k} (split
     * {@code "train"} or {@code "test"}), plain or {@code .gz}. Missing files give an error that says how to get
     * them ({@code installHint}).
     */
    public static IdxDataset mnistLayout(Path dir, String split, List<String> classes, String name, String installHint) {
        String prefix = switch (split) {
            case "train" -> "train";
            case "test" -> "t10k";
            default -> throw new ClipException(name + ": unknown split '" + split + "', expected train or test");
        };
        Path img = find(dir, prefix + "-images-idx3-ubyte"), lab = find(dir, prefix + "-labels-idx1-ubyte");
        if (img == null || lab == null) {
            throw new ClipException(name + " " + split + " split not found in " + dir + " (expected " + prefix
                    + "-images-idx3-ubyte[.gz] and " + prefix + "-labels-idx1-ubyte[.gz]). " + installHint);
        }
        return new IdxDataset(img, lab, classes, name + " " + split);
    }

    private static Path find(Path dir, String base) {
        for (String ext : new String[]{"", ".gz"}) {
            Path p = dir.resolve(base + ext);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    @Override
    public int size() {
        return images.dims()[0];
    }

    @Override
    public List<String> classes() {
        return classes;
    }

    @Override
    public int label(int i) {
        return labels.data()[i] & 0xff;
    }

    @Override
    public BufferedImage image(int i) {
        int h = images.dims()[1], w = images.dims()[2];
        return Images.grayToRgb(images.data(), i * h * w, w, h);
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "%s (%,d images)", name, size());
    }
}
