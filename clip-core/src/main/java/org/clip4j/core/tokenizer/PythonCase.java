package org.clip4j.core.tokenizer;

/**
 * Python 3.11's {@code str.lower()}, independent of the JVM's locale and Unicode version.
 *
 * <p>It applies the full lowercase mappings of Unicode 14.0 (so {@code İ} U+0130 becomes {@code i} + U+0307,
 * as {@code String.toLowerCase(Locale.ROOT)} also does) and the Greek final sigma rule: {@code Σ} becomes
 * {@code ς} when a cased letter precedes it and none follows it, case-ignorable characters in between being
 * skipped ({@code "ΟΔΟΣ"} → {@code "οδος"}). Java's {@code toLowerCase} implements the same rule, but with its
 * own (older) Unicode data; this class uses the reference's tables from {@link UnicodeTables}.
 */
final class PythonCase {
    private static final int CAPITAL_SIGMA = 0x3A3;
    private static final int SMALL_SIGMA = 0x3C3;
    private static final int FINAL_SIGMA = 0x3C2;

    private PythonCase() {
    }

    /** Returns {@code text.lower()} as Python 3.11 computes it. */
    static String lower(String text) {
        int n = text.length();
        int i = 0;
        while (i < n && text.charAt(i) < 0x80 && (text.charAt(i) < 'A' || text.charAt(i) > 'Z')) {
            i++;
        }
        if (i == n) {
            return text; // nothing to lower: the common case for already lowercase ASCII
        }
        StringBuilder out = new StringBuilder(n + 8);
        out.append(text, 0, i);
        while (i < n) {
            int cp = text.codePointAt(i);
            if (cp == CAPITAL_SIGMA) {
                out.appendCodePoint(isFinalSigma(text, i) ? FINAL_SIGMA : SMALL_SIGMA);
            } else {
                String mapped = UnicodeTables.lowerMapping(cp);
                if (mapped == null) {
                    out.appendCodePoint(cp);
                } else {
                    out.append(mapped);
                }
            }
            i += Character.charCount(cp);
        }
        return out.toString();
    }

    /**
     * The Final_Sigma context of Unicode's SpecialCasing, as CPython evaluates it on the original string: a cased
     * character before index {@code i} (skipping case-ignorable ones) and no cased character after it (again
     * skipping case-ignorable ones).
     */
    private static boolean isFinalSigma(String text, int i) {
        int j = i;
        int before = -1;
        while (j > 0) {
            int cp = text.codePointBefore(j);
            j -= Character.charCount(cp);
            if (!UnicodeTables.CASE_IGNORABLE.contains(cp)) {
                before = cp;
                break;
            }
        }
        if (before < 0 || !UnicodeTables.CASED.contains(before)) {
            return false;
        }
        j = i + 1; // U+03A3 is one UTF-16 unit
        while (j < text.length()) {
            int cp = text.codePointAt(j);
            if (!UnicodeTables.CASE_IGNORABLE.contains(cp)) {
                return !UnicodeTables.CASED.contains(cp);
            }
            j += Character.charCount(cp);
        }
        return true;
    }
}
