package org.clip4j.eval.probe;

import org.clip4j.core.ClipException;
import org.clip4j.core.safetensors.DType;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.core.safetensors.SafetensorsWriter;
import org.clip4j.core.safetensors.TensorInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Labelled feature vectors for a linear probe, on the Java heap: {@code features} row-major [n, d] and
 * {@code labels} [n] (class indices from 0). On disk it is one safetensors file with {@code features} (F32
 * [n, d]) and {@code labels} (I64 [n]), plus free-form {@code __metadata__} (e.g. what produced the features).
 */
public record FeatureSet(float[] features, int n, int d, int[] labels, Map<String, String> metadata) {
    public FeatureSet {
        if (n < 0 || d < 1 || features.length != (long) n * d) {
            throw new IllegalArgumentException("features: " + features.length + " values for [" + n + ", " + d + "]");
        }
        if (labels.length != n) throw new IllegalArgumentException("labels: " + labels.length + " for " + n + " rows");
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0) throw new IllegalArgumentException("labels[" + i + "] = " + labels[i] + ", expected >= 0");
        }
        metadata = Map.copyOf(metadata);
    }

    /** Without metadata. */
    public FeatureSet(float[] features, int n, int d, int[] labels) {
        this(features, n, d, labels, Map.of());
    }

    /** One more than the largest label (the number of classes these labels can tell apart). */
    public int numClasses() {
        int k = 0;
        for (int l : labels) k = Math.max(k, l + 1);
        return k;
    }

    /** Rows {@code idx} (in that order). */
    public FeatureSet subset(int[] idx) {
        float[] f = new float[idx.length * d];
        int[] l = new int[idx.length];
        for (int r = 0; r < idx.length; r++) {
            System.arraycopy(features, idx[r] * d, f, r * d, d);
            l[r] = labels[idx[r]];
        }
        return new FeatureSet(f, idx.length, d, l, metadata);
    }

    /** This set's rows followed by {@code other}'s (same width). */
    public FeatureSet concat(FeatureSet other) {
        if (other.d != d) throw new ClipException("cannot join features of width " + d + " and " + other.d);
        float[] f = Arrays.copyOf(features, features.length + other.features.length);
        System.arraycopy(other.features, 0, f, features.length, other.features.length);
        int[] l = Arrays.copyOf(labels, n + other.n);
        System.arraycopy(other.labels, 0, l, n, other.n);
        return new FeatureSet(f, n + other.n, d, l, metadata);
    }

    /** Writes {@code features} F32 [n, d], {@code labels} I64 [n] and the metadata. */
    public void save(Path file) {
        long[] l = new long[n];
        for (int i = 0; i < n; i++) l[i] = labels[i];
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            new SafetensorsWriter().metadata(new LinkedHashMap<>(metadata))
                    .putFloats("features", DType.F32, new long[]{n, d}, features)
                    .putLongs("labels", DType.I64, new long[]{n}, l)
                    .write(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write features to " + file, e);
        }
    }

    /**
     * Reads a file with {@code features} (floating [n, d]) and {@code labels} (integer [n], values ≥ 0); any
     * other shape or a missing tensor is a {@link ClipException} naming the file and the tensor.
     */
    public static FeatureSet load(Path file) {
        if (!Files.isRegularFile(file)) throw new ClipException(file + ": no such features file");
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : new String[]{"features", "labels"}) {
                if (!f.contains(name)) {
                    throw new ClipException(file + ": no tensor '" + name + "' (expected 'features' F32 [n, d] and "
                            + "'labels' I64 [n]; has " + f.names() + ")");
                }
            }
            TensorInfo fi = f.info("features"), li = f.info("labels");
            if (!fi.dtype().isFloat() || fi.shape().length != 2 || fi.shape()[1] < 1) {
                throw new ClipException(file + ": tensor 'features' must be a floating [n, d] matrix, found "
                        + fi.dtype() + " " + Arrays.toString(fi.shape()));
            }
            if (li.dtype().isFloat() || li.shape().length != 1 || li.shape()[0] != fi.shape()[0]) {
                throw new ClipException(file + ": tensor 'labels' must be an integer vector [" + fi.shape()[0]
                        + "] (one per row of 'features'), found " + li.dtype() + " " + Arrays.toString(li.shape()));
            }
            long[] raw = f.longs("labels");
            int[] labels = new int[raw.length];
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] < 0 || raw[i] > Integer.MAX_VALUE) {
                    throw new ClipException(file + ": labels[" + i + "] = " + raw[i] + ", expected a class index >= 0");
                }
                labels[i] = (int) raw[i];
            }
            return new FeatureSet(f.floats("features"), (int) fi.shape()[0], (int) fi.shape()[1], labels, f.metadata());
        }
    }
}
