package org.clip4j.train.data.wds;

import org.clip4j.core.ClipException;

import java.util.ArrayList;
import java.util.List;

/**
 * Shard URL patterns as WebDataset and OpenCLIP write them: brace expansion in the manner of the Python
 * {@code braceexpand} package, and several patterns joined with {@code ::}.
 *
 * <ul>
 *   <li>{@code {000000..000099}}: integer range, inclusive, ascending or descending, optional step
 *       {@code {0..10..2}}; zero-padded to the longer bound's width when a bound has a leading zero.</li>
 *   <li>{@code {a..e}}: single-character range.</li>
 *   <li>{@code {train,val}}: alternatives, which may themselves hold braces.</li>
 *   <li>A backslash escapes the next character; a brace group that is neither a range nor has a top-level
 *       comma (such as {@code {x}}) stays literal.</li>
 * </ul>
 */
public final class ShardPattern {
    private ShardPattern() {
    }

    /** Splits {@code spec} on {@code ::} and expands each part; the results in order. */
    public static List<String> expandAll(String spec) {
        List<String> out = new ArrayList<>();
        for (String part : spec.split("::", -1)) {
            if (part.isBlank()) throw new ClipException("shard pattern '" + spec + "': empty part between '::'");
            out.addAll(expand(part.strip()));
        }
        return out;
    }

    /** Whether {@code spec} names shards rather than a manifest: a part ending in {@code .tar} or holding a range. */
    public static boolean looksLikeShards(String spec) {
        for (String part : spec.split("::", -1)) {
            String p = part.strip().toLowerCase(java.util.Locale.ROOT);
            if (p.endsWith(".tar") || p.matches(".*\\{[^}]*\\.\\.[^}]*}.*")) return true;
        }
        return false;
    }

    /** The expansions of one pattern, in order. */
    public static List<String> expand(String pattern) {
        List<String> out = new ArrayList<>();
        expandInto(pattern, out);
        return out;
    }

    private static void expandInto(String s, List<String> out) {
        int open = findOpen(s, 0);
        while (open >= 0) {
            int close = matchingClose(s, open);
            if (close < 0) break; // unbalanced: the rest is literal
            String inner = s.substring(open + 1, close);
            List<String> alternatives = alternatives(inner);
            if (alternatives != null) {
                String prefix = unescape(s.substring(0, open));
                List<String> tails = new ArrayList<>();
                expandInto(s.substring(close + 1), tails);
                for (String alt : alternatives) {
                    List<String> heads = new ArrayList<>();
                    expandInto(alt, heads);
                    for (String h : heads) for (String t : tails) out.add(prefix + h + t);
                }
                return;
            }
            open = findOpen(s, open + 1); // a literal group: look further on
        }
        out.add(unescape(s));
    }

    /** The alternatives of a brace group's content, or null when the group is literal. */
    private static List<String> alternatives(String inner) {
        List<String> range = range(inner);
        if (range != null) return range;
        List<String> parts = new ArrayList<>();
        int depth = 0, start = 0;
        for (int i = 0; i < inner.length(); i++) {
            char c = inner.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '{') {
                depth++;
            } else if (c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                parts.add(inner.substring(start, i));
                start = i + 1;
            }
        }
        if (parts.isEmpty()) return null;
        parts.add(inner.substring(start));
        return parts;
    }

    private static List<String> range(String inner) {
        String[] f = inner.split("\\.\\.", -1);
        if (f.length != 2 && f.length != 3) return null;
        int step = 1;
        if (f.length == 3) {
            if (!f[2].matches("-?\\d+")) return null;
            step = Math.abs(Integer.parseInt(f[2]));
            if (step == 0) step = 1;
        }
        List<String> out = new ArrayList<>();
        if (f[0].matches("-?\\d+") && f[1].matches("-?\\d+")) {
            long a = Long.parseLong(f[0]), b = Long.parseLong(f[1]);
            int width = padded(f[0]) || padded(f[1]) ? Math.max(f[0].length(), f[1].length()) : 0;
            long dir = a <= b ? 1 : -1;
            if (Math.abs(b - a) / step > 10_000_000) throw new ClipException("shard range {" + inner + "}: too many items");
            for (long v = a; dir > 0 ? v <= b : v >= b; v += dir * step) out.add(pad(v, width));
            return out;
        }
        if (f[0].length() == 1 && f[1].length() == 1 && Character.isLetter(f[0].charAt(0))
                && Character.isLetter(f[1].charAt(0))) {
            char a = f[0].charAt(0), b = f[1].charAt(0);
            int dir = a <= b ? 1 : -1;
            for (int v = a; dir > 0 ? v <= b : v >= b; v += dir * step) out.add(String.valueOf((char) v));
            return out;
        }
        return null;
    }

    private static boolean padded(String bound) {
        String digits = bound.startsWith("-") ? bound.substring(1) : bound;
        return digits.length() > 1 && digits.charAt(0) == '0';
    }

    private static String pad(long v, int width) {
        String digits = Long.toString(Math.abs(v));
        int target = v < 0 ? width - 1 : width;
        StringBuilder sb = new StringBuilder(v < 0 ? "-" : "");
        for (int i = digits.length(); i < target; i++) sb.append('0');
        return sb.append(digits).toString();
    }

    private static int findOpen(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') i++;
            else if (c == '{') return i;
        }
        return -1;
    }

    private static int matchingClose(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '{') {
                depth++;
            } else if (c == '}' && --depth == 0) {
                return i;
            }
        }
        return -1;
    }

    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) c = s.charAt(++i);
            sb.append(c);
        }
        return sb.toString();
    }
}
