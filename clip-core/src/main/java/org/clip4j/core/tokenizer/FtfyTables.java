package org.clip4j.core.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The data of ftfy 6.3.1 that {@link Ftfy} needs, read from the generated resource {@code ftfy_tables.txt}
 * (written by {@code clip-core/src/main/scripts/gen_ftfy_tables.py} from ftfy's own tables; ftfy is under the Apache License 2.0,
 * by Robyn Speer): character classes as ranges, single-byte code pages, and translation maps.
 */
final class FtfyTables {
    private static final Map<String, List<int[]>> CLASSES = new HashMap<>();
    private static final Map<String, int[]> CHARMAPS = new HashMap<>();
    private static final Map<String, Map<String, String>> MAPS = new HashMap<>();

    static {
        String kind = null;
        String name = null;
        Map<String, List<Integer>> pending = new HashMap<>();
        for (String line : TokenizerResources.dataLines("ftfy_tables.txt")) {
            if (line.charAt(0) == '@') {
                String[] head = line.substring(1).split(" ", 2);
                kind = head[0];
                name = head[1];
                switch (kind) {
                    case "class" -> CLASSES.put(name, new ArrayList<>());
                    case "charmap" -> pending.put(name, new ArrayList<>(256));
                    case "map" -> MAPS.put(name, new HashMap<>());
                    default -> throw new IllegalStateException("ftfy_tables.txt: unknown section " + line);
                }
            } else if ("class".equals(kind)) {
                String[] bounds = line.split(" ");
                int start = Integer.parseInt(bounds[0], 16);
                int end = bounds.length > 1 ? Integer.parseInt(bounds[1], 16) : start;
                CLASSES.get(name).add(new int[] {start, end});
            } else if ("charmap".equals(kind)) {
                pending.get(name).add("-".equals(line) ? -1 : Integer.parseInt(line, 16));
            } else if ("map".equals(kind)) {
                String[] parts = line.split("\t");
                String key = "entities".equals(name) ? parts[0] : new String(Character.toChars(Integer.parseInt(parts[0], 16)));
                MAPS.get(name).put(key, codePoints(parts[1]));
            } else {
                throw new IllegalStateException("ftfy_tables.txt: data before the first section: " + line);
            }
        }
        for (Map.Entry<String, List<Integer>> e : pending.entrySet()) {
            if (e.getValue().size() != 256) {
                throw new IllegalStateException("ftfy_tables.txt: charmap " + e.getKey() + " has " + e.getValue().size()
                        + " entries, expected 256");
            }
            CHARMAPS.put(e.getKey(), e.getValue().stream().mapToInt(Integer::intValue).toArray());
        }
    }

    private FtfyTables() {
    }

    private static String codePoints(String hex) {
        StringBuilder sb = new StringBuilder(2);
        for (String cp : hex.split(" ")) {
            sb.appendCodePoint(Integer.parseInt(cp, 16));
        }
        return sb.toString();
    }

    /** The ranges of a class, as inclusive {@code [start, end]} pairs. */
    static List<int[]> ranges(String name) {
        List<int[]> ranges = CLASSES.get(name);
        if (ranges == null || ranges.isEmpty()) {
            throw new IllegalStateException("ftfy_tables.txt: missing or empty class " + name);
        }
        return ranges;
    }

    /** The class as a {@link CodePointSet}. */
    static CodePointSet set(String name) {
        List<int[]> ranges = ranges(name);
        int[] bounds = new int[ranges.size() * 2];
        for (int i = 0; i < ranges.size(); i++) {
            bounds[2 * i] = ranges.get(i)[0];
            bounds[2 * i + 1] = ranges.get(i)[1];
        }
        return new CodePointSet(bounds);
    }

    /**
     * The body of a Java regex character class holding the named classes (without the brackets), every code point
     * written as {@code \x{...}} so nothing in it is a regex metacharacter.
     */
    static String classBody(String... names) {
        StringBuilder sb = new StringBuilder();
        for (String name : names) {
            for (int[] r : ranges(name)) {
                sb.append("\\x{").append(Integer.toHexString(r[0])).append('}');
                if (r[1] != r[0]) {
                    sb.append("-\\x{").append(Integer.toHexString(r[1])).append('}');
                }
            }
        }
        return sb.toString();
    }

    /** The 256 code points bytes decode to in a code page, -1 for a byte it cannot decode. */
    static int[] charmap(String name) {
        int[] map = CHARMAPS.get(name);
        if (map == null) {
            throw new IllegalStateException("ftfy_tables.txt: missing charmap " + name);
        }
        return map;
    }

    /** A translation map (code point string → replacement), or the entity table ({@code &name;} → text). */
    static Map<String, String> map(String name) {
        Map<String, String> map = MAPS.get(name);
        if (map == null || map.isEmpty()) {
            throw new IllegalStateException("ftfy_tables.txt: missing or empty map " + name);
        }
        return map;
    }
}
