package org.clip4j.core.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Unicode character data of the reference tokenizer, read from the generated resource
 * {@code unicode_tables.txt} (see {@code clip-core/src/main/scripts/gen_unicode_tables.py}).
 *
 * <p>Why not {@link Character}: the reference ran CPython 3.11.2 (Unicode 14.0) and the {@code regex} module
 * 2022.10.31 (Unicode 15.0), while Java 17 knows Unicode 13.0. Measured against the reference, Java 17's
 * {@code \p{L}} misses 4,863 letters and {@code \p{N}} 50 numbers (scripts and CJK blocks added in Unicode 14
 * and 15), {@code toLowerCase} misses 40 case pairs (e.g. Vithkuqi), and under {@code IGNORECASE} the
 * {@code regex} module puts U+0345 in none of the pattern's classes. Reading the reference's own data makes
 * the tokenizer give the reference ids for every code point on any JVM.
 */
final class UnicodeTables {
    /** Code points matched by {@code [\p{L}]} of the reference pattern (with IGNORECASE). */
    static final CodePointSet LETTER;
    /** Code points matched by {@code [\p{N}]}. */
    static final CodePointSet NUMBER;
    /** Code points in none of {@code [\p{L}]}, {@code [\p{N}]}, {@code [^\s\p{L}\p{N}]}: skipped by the pattern. */
    static final CodePointSet SKIP;
    /** {@code \s} of the {@code regex} module: the Unicode White_Space property. */
    static final CodePointSet REGEX_SPACE;
    /** Python's {@code str.isspace()}: White_Space plus U+001C..U+001F. */
    static final CodePointSet PY_SPACE;
    /** Cased and not case-ignorable, for the final sigma rule of Python's {@code str.lower()}. */
    static final CodePointSet CASED;
    /** Case-ignorable, for the final sigma rule. */
    static final CodePointSet CASE_IGNORABLE;

    private static final Map<Integer, String> LOWER;

    static {
        Map<String, List<int[]>> sets = new HashMap<>();
        Map<Integer, String> lower = new HashMap<>(2048);
        String section = null;
        for (String line : TokenizerResources.dataLines("unicode_tables.txt")) {
            if (line.charAt(0) == '@') {
                section = line.substring(1);
                sets.putIfAbsent(section, new ArrayList<>());
            } else if ("lower".equals(section)) {
                String[] parts = line.split("\t");
                StringBuilder mapped = new StringBuilder(2);
                for (String cp : parts[1].split(" ")) {
                    mapped.appendCodePoint(Integer.parseInt(cp, 16));
                }
                lower.put(Integer.parseInt(parts[0], 16), mapped.toString());
            } else if (section != null) {
                String[] bounds = line.split(" ");
                int start = Integer.parseInt(bounds[0], 16);
                int end = bounds.length > 1 ? Integer.parseInt(bounds[1], 16) : start;
                sets.get(section).add(new int[] {start, end});
            } else {
                throw new IllegalStateException("unicode_tables.txt: data before the first section: " + line);
            }
        }
        LETTER = toSet(sets, "letter");
        NUMBER = toSet(sets, "number");
        SKIP = toSet(sets, "skip");
        REGEX_SPACE = toSet(sets, "regex_space");
        PY_SPACE = toSet(sets, "py_space");
        CASED = toSet(sets, "cased");
        CASE_IGNORABLE = toSet(sets, "case_ignorable");
        if (lower.isEmpty()) {
            throw new IllegalStateException("unicode_tables.txt: no @lower section");
        }
        LOWER = Map.copyOf(lower);
    }

    private UnicodeTables() {
    }

    private static CodePointSet toSet(Map<String, List<int[]>> sets, String name) {
        List<int[]> ranges = sets.get(name);
        if (ranges == null || ranges.isEmpty()) {
            throw new IllegalStateException("unicode_tables.txt: missing or empty section @" + name);
        }
        int[] bounds = new int[ranges.size() * 2];
        for (int i = 0; i < ranges.size(); i++) {
            bounds[2 * i] = ranges.get(i)[0];
            bounds[2 * i + 1] = ranges.get(i)[1];
        }
        return new CodePointSet(bounds);
    }

    /** Python's {@code chr(codePoint).lower()}, or {@code null} if lowering leaves the code point unchanged. */
    static String lowerMapping(int codePoint) {
        return LOWER.get(codePoint);
    }
}
