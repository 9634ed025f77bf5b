package org.clip4j.core.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * A regular expression made only of single-character classes: alternatives, each a sequence of classes, some
 * optional ({@code ?}), the first possibly anchored at the start ({@code ^}). Matching follows Python's and Java's
 * regex engines (at each position the alternatives in order, greedy optional items, leftmost match first), but a
 * class is a {@link CodePointSet} lookup instead of a walk through hundreds of ranges, which makes ftfy's
 * mojibake heuristic hundreds of times faster than with {@code java.util.regex}.
 *
 * <p>Notation of a template: {@code [...]} a class holding literal characters, ranges {@code a-z} and
 * {@code {name}} (a class of {@code ftfy_tables.txt}), negated by a leading {@code ^}; {@code {name}} alone is that
 * class; {@code .} is any character but {@code \n}; any other character stands for itself; {@code ?} after an
 * item makes it optional; {@code ^} first anchors the alternative at the start of the text.
 */
final class CharClassPattern {
    private record Item(CodePointSet set, boolean optional) {
    }

    private final Item[][] alternatives;
    private final boolean[] anchored;
    /** Characters of which every match holds at least one, within its first {@link #maxLead} + 1 characters. */
    private final CodePointSet required;
    private final int maxLead;

    private CharClassPattern(Item[][] alternatives, boolean[] anchored, CodePointSet required, int maxLead) {
        this.alternatives = alternatives;
        this.anchored = anchored;
        this.required = required;
        this.maxLead = maxLead;
    }

    /**
     * Compiles alternatives written in the notation above. {@code generic} names the classes that common text is
     * full of (like Python's {@code \s}); every alternative needs at least one item that is not optional, not
     * negated, not {@code .}, and holds neither a generic class nor an ASCII character: those items make the
     * prefilter.
     */
    static CharClassPattern compile(String[] templates, List<String> generic) {
        Item[][] alternatives = new Item[templates.length][];
        boolean[] anchored = new boolean[templates.length];
        List<int[]> required = new ArrayList<>();
        int maxLead = 0;
        for (int a = 0; a < templates.length; a++) {
            String t = templates[a];
            List<Item> items = new ArrayList<>();
            int i = 0;
            if (t.startsWith("^")) {
                anchored[a] = true;
                i = 1;
            }
            int firstSpecial = -1;
            while (i < t.length()) {
                List<int[]> ranges = new ArrayList<>();
                boolean special;
                char c = t.charAt(i);
                if (c == '[') {
                    int end = i + 1;
                    boolean negated = t.charAt(end) == '^';
                    if (negated) {
                        end++;
                    }
                    special = !negated;
                    boolean allNonAscii = true;
                    while (t.charAt(end) != ']') {
                        if (t.charAt(end) == '{') {
                            int close = t.indexOf('}', end);
                            String name = t.substring(end + 1, close);
                            ranges.addAll(FtfyTables.ranges(name));
                            special &= !generic.contains(name);
                            end = close + 1;
                        } else {
                            int lo = t.codePointAt(end);
                            end += Character.charCount(lo);
                            int hi = lo;
                            if (t.charAt(end) == '-' && t.charAt(end + 1) != ']') {
                                hi = t.codePointAt(end + 1);
                                end += 1 + Character.charCount(hi);
                            }
                            ranges.add(new int[] {lo, hi});
                            allNonAscii &= lo >= 0x80;
                        }
                    }
                    special &= allNonAscii; // named classes other than the generic ones are all non-ASCII
                    if (negated) {
                        ranges = complement(ranges);
                    }
                    i = end + 1;
                } else if (c == '{') {
                    int close = t.indexOf('}', i);
                    String name = t.substring(i + 1, close);
                    ranges.addAll(FtfyTables.ranges(name));
                    special = !generic.contains(name);
                    i = close + 1;
                } else if (c == '.') {
                    ranges.add(new int[] {0, '\n' - 1});
                    ranges.add(new int[] {'\n' + 1, Character.MAX_CODE_POINT});
                    special = false;
                    i++;
                } else {
                    int cp = t.codePointAt(i);
                    ranges.add(new int[] {cp, cp});
                    special = cp >= 0x80;
                    i += Character.charCount(cp);
                }
                boolean optional = i < t.length() && t.charAt(i) == '?';
                if (optional) {
                    i++;
                }
                if (special && !optional && firstSpecial < 0) {
                    firstSpecial = items.size();
                    required.addAll(ranges);
                }
                items.add(new Item(toSet(ranges), optional));
            }
            if (firstSpecial < 0) {
                throw new IllegalArgumentException("alternative without a distinctive class: " + t);
            }
            maxLead = Math.max(maxLead, firstSpecial);
            alternatives[a] = items.toArray(Item[]::new);
        }
        return new CharClassPattern(alternatives, anchored, toSet(required), maxLead);
    }

    private static List<int[]> normalize(List<int[]> ranges) {
        List<int[]> sorted = new ArrayList<>(ranges);
        sorted.sort((x, y) -> Integer.compare(x[0], y[0]));
        List<int[]> merged = new ArrayList<>();
        for (int[] r : sorted) {
            if (!merged.isEmpty() && r[0] <= merged.get(merged.size() - 1)[1] + 1) {
                int[] last = merged.get(merged.size() - 1);
                last[1] = Math.max(last[1], r[1]);
            } else {
                merged.add(new int[] {r[0], r[1]});
            }
        }
        return merged;
    }

    private static List<int[]> complement(List<int[]> ranges) {
        List<int[]> out = new ArrayList<>();
        int next = 0;
        for (int[] r : normalize(ranges)) {
            if (r[0] > next) {
                out.add(new int[] {next, r[0] - 1});
            }
            next = r[1] + 1;
        }
        if (next <= Character.MAX_CODE_POINT) {
            out.add(new int[] {next, Character.MAX_CODE_POINT});
        }
        return out;
    }

    private static CodePointSet toSet(List<int[]> ranges) {
        List<int[]> merged = normalize(ranges);
        int[] bounds = new int[merged.size() * 2];
        for (int i = 0; i < merged.size(); i++) {
            bounds[2 * i] = merged.get(i)[0];
            bounds[2 * i + 1] = merged.get(i)[1];
        }
        return new CodePointSet(bounds);
    }

    /** The end (char index) of the match of alternative {@code a} at {@code pos}, or -1. */
    private int matchAlternative(int a, String text, int pos) {
        return match(alternatives[a], 0, text, pos);
    }

    private static int match(Item[] items, int k, String text, int pos) {
        if (k == items.length) {
            return pos;
        }
        Item item = items[k];
        if (pos < text.length()) {
            int cp = text.codePointAt(pos);
            if (item.set.contains(cp)) {
                int end = match(items, k + 1, text, pos + Character.charCount(cp));
                if (end >= 0 || !item.optional) {
                    return end;
                }
            }
        }
        return item.optional ? match(items, k + 1, text, pos) : -1;
    }

    /** End of the first alternative that matches at {@code pos}, or -1. */
    private int matchAt(String text, int pos) {
        for (int a = 0; a < alternatives.length; a++) {
            if (anchored[a] && pos != 0) {
                continue;
            }
            int end = matchAlternative(a, text, pos);
            if (end >= 0) {
                return end;
            }
        }
        return -1;
    }

    /** Index where the scan can start: {@link #maxLead} code points before the first required character, or -1. */
    private int scanStart(String text) {
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            if (required.contains(cp)) {
                int start = i;
                for (int k = 0; k < maxLead && start > 0; k++) {
                    start -= Character.charCount(text.codePointBefore(start));
                }
                return start;
            }
            i += Character.charCount(cp);
        }
        return -1;
    }

    /** Whether the pattern matches somewhere ({@code re.search}). */
    boolean find(String text) {
        int pos = scanStart(text);
        if (pos < 0) {
            return false;
        }
        for (; pos < text.length(); pos += Character.charCount(text.codePointAt(pos))) {
            if (matchAt(text, pos) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** The number of non-overlapping matches, left to right ({@code len(re.findall)}). */
    int count(String text) {
        int pos = scanStart(text);
        if (pos < 0) {
            return 0;
        }
        int n = 0;
        while (pos < text.length()) {
            int end = matchAt(text, pos);
            if (end > pos) {
                n++;
                pos = end;
            } else {
                pos += Character.charCount(text.codePointAt(pos));
            }
        }
        return n;
    }
}
