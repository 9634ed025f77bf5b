package org.clip4j.eval;

import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.eval.probe.FeatureSet;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A folder of cached evaluation tensors (image features, zero-shot class embeddings), one safetensors file per
 * key: {@code PREFIX-HASH.safetensors} with the full key in its {@code __metadata__} ({@code cache_key}), checked
 * on every hit. A key should name everything the content depends on, e.g. the model file with its size and
 * modification time, the dataset and split, the layer.
 */
public final class EvalCache {
    /** Metadata entry holding the key. */
    public static final String KEY = "cache_key";

    private final Path dir;

    public EvalCache(Path dir) {
        this.dir = dir;
    }

    /** The file for {@code key}. */
    public Path file(String prefix, String key) {
        return dir.resolve(prefix + "-" + hash(key).substring(0, 20) + ".safetensors");
    }

    /** Whether {@code file} exists and was written for {@code key}. */
    public static boolean holds(Path file, String key) {
        if (!Files.isRegularFile(file)) return false;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return key.equals(f.metadata().get(KEY));
        } catch (RuntimeException e) {
            return false; // unreadable: computed again and overwritten
        }
    }

    /** The cached features of {@code key}, else {@code compute}'s (then stored). */
    public FeatureSet features(String key, Supplier<FeatureSet> compute) {
        Path f = file("features", key);
        if (holds(f, key)) return FeatureSet.load(f);
        FeatureSet s = compute.get();
        Map<String, String> meta = new HashMap<>(s.metadata());
        meta.put(KEY, key);
        FeatureSet keyed = new FeatureSet(s.features(), s.n(), s.d(), s.labels(), meta);
        keyed.save(f);
        return keyed;
    }

    /** The cached classifier of {@code key}, else {@code build}'s (then stored). */
    public ZeroShotClassifier classifier(String key, Supplier<ZeroShotClassifier> build) {
        Path f = file("zeroshot", key);
        if (holds(f, key)) return ZeroShotClassifier.load(f);
        ZeroShotClassifier z = build.get();
        z.save(f, Map.of(KEY, key));
        return z;
    }

    /** A model file's identity for keys: absolute path, size and modification time. */
    public static String fileIdentity(Path p) {
        try {
            Path abs = p.toAbsolutePath().normalize();
            if (Files.isDirectory(abs)) {
                return abs.toString();
            }
            return abs + "|" + Files.size(abs) + "|" + Files.getLastModifiedTime(abs).toMillis();
        } catch (java.io.IOException e) {
            return p.toAbsolutePath().toString();
        }
    }

    /** SHA-256 of {@code s} in hex. */
    public static String hash(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
