package org.clip4j.eval.data;

import org.clip4j.core.ClipException;
import org.clip4j.eval.PromptSet;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * CIFAR-10 or CIFAR-100 in the "binary version" of the dataset's site: records of label byte(s) then a 32×32
 * image as R, G and B planes (3,072 bytes). CIFAR-10 ({@code cifar-10-batches-bin/}): one label byte,
 * {@code data_batch_1..5.bin} and {@code test_batch.bin}. CIFAR-100 ({@code cifar-100-binary/}): a coarse and a
 * fine label byte, {@code train.bin} and {@code test.bin}; the fine label is used. Class names are CLIP's
 * ({@link PromptSet#builtin}), which follow the label order.
 */
public final class CifarDataset implements ClassificationDataset {
    private static final int IMAGE = 3 * 32 * 32;
    /** How to get the files, for error messages. */
    public static final String INSTALL = "Download the binary version (cifar-10-binary.tar.gz or cifar-100-binary.tar.gz) "
            + "from https://www.cs.toronto.edu/~kriz/cifar.html and extract it; pass the extracted folder.";

    private final byte[] records;
    private final int labelBytes, count;
    private final List<String> classes;
    private final String name;

    private CifarDataset(byte[] records, int labelBytes, List<String> classes, String name) {
        this.records = records;
        this.labelBytes = labelBytes;
        this.count = records.length / (labelBytes + IMAGE);
        this.classes = classes;
        this.name = name;
    }

    /**
     * Opens {@code variant} ({@code "cifar10"} or {@code "cifar100"}) split {@code "train"} or {@code "test"} from
     * {@code dir}: the extracted folder itself or its parent.
     */
    public static CifarDataset open(String variant, String split, Path dir) {
        boolean ten = switch (variant) {
            case "cifar10" -> true;
            case "cifar100" -> false;
            default -> throw new ClipException("unknown CIFAR variant '" + variant + "', expected cifar10 or cifar100");
        };
        if (!split.equals("train") && !split.equals("test")) {
            throw new ClipException(variant + ": unknown split '" + split + "', expected train or test");
        }
        Path base = dir;
        String sub = ten ? "cifar-10-batches-bin" : "cifar-100-binary";
        if (Files.isDirectory(dir.resolve(sub))) base = dir.resolve(sub);
        List<Path> files = new ArrayList<>();
        if (ten) {
            if (split.equals("train")) for (int b = 1; b <= 5; b++) files.add(base.resolve("data_batch_" + b + ".bin"));
            else files.add(base.resolve("test_batch.bin"));
        } else {
            files.add(base.resolve(split + ".bin"));
        }
        int labelBytes = ten ? 1 : 2;
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new ClipException(variant + " " + split + " split: " + f + " not found. " + INSTALL);
            }
            try {
                byte[] b = Files.readAllBytes(f);
                if (b.length == 0 || b.length % (labelBytes + IMAGE) != 0) {
                    throw new ClipException(f + ": " + b.length + " bytes is not a whole number of " + variant
                            + " records (" + (labelBytes + IMAGE) + " bytes each)");
                }
                all.writeBytes(b);
            } catch (IOException e) {
                throw new ClipException(f + ": cannot read: " + e.getMessage(), e);
            }
        }
        List<String> classes = PromptSet.builtin(variant).classes();
        CifarDataset ds = new CifarDataset(all.toByteArray(), labelBytes, classes, variant + " " + split);
        for (int i = 0; i < ds.count; i++) {
            if (ds.label(i) >= classes.size()) {
                throw new ClipException(variant + " " + split + ": record " + i + " has label " + ds.label(i)
                        + ", expected 0.." + (classes.size() - 1));
            }
        }
        return ds;
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public List<String> classes() {
        return classes;
    }

    @Override
    public int label(int i) {
        return records[i * (labelBytes + IMAGE) + labelBytes - 1] & 0xff; // the last label byte: CIFAR-100's fine label
    }

    @Override
    public BufferedImage image(int i) {
        return Images.planesToRgb(records, i * (labelBytes + IMAGE) + labelBytes, 32, 32);
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "%s (%,d images)", name, count);
    }
}
