package org.clip4j.train.data.wds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.clip4j.core.ClipException;
import org.clip4j.core.io.AtomicFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code sizes.json} file next to a set of shards, as img2dataset and OpenCLIP use it: one object mapping each
 * shard's file name to its number of samples, {@code {"000000.tar": 10000, "000001.tar": 9876}}.
 */
public final class ShardSizes {
    /** The file name looked for in a shard's folder. */
    public static final String FILE_NAME = "sizes.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ShardSizes() {
    }

    /**
     * The sizes recorded in {@code dir/sizes.json}, or an empty map when there is no such file; throws a
     * {@link ClipException} naming the file and the entry when it is not an object of non-negative integers.
     */
    public static Map<String, Long> read(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) return Map.of();
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new ClipException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ClipException(file + ": expected an object mapping shard file names to sample counts");
        }
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                throw new ClipException(file + ": entry '" + e.getKey() + "' is " + v + ", expected a sample count >= 0");
            }
            sizes.put(e.getKey(), v.asLong());
        }
        return sizes;
    }

    /** Writes {@code sizes} to {@code dir/sizes.json} atomically (a temporary file, then a rename). */
    public static void write(Path dir, Map<String, Long> sizes) {
        ObjectNode root = JSON.createObjectNode();
        sizes.forEach(root::put);
        try {
            AtomicFile.write(dir.resolve(FILE_NAME), AtomicFile.IfExists.REPLACE,
                    out -> out.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root)));
        } catch (IOException e) {
            throw new ClipException(dir.resolve(FILE_NAME) + ": cannot write: " + e.getMessage(), e);
        }
    }
}
