package org.clip4j.core.tokenizer;

import java.util.Arrays;

/**
 * An immutable set of Unicode code points, built from sorted, non-overlapping inclusive ranges. Lookups in the
 * Basic Multilingual Plane use a bitmap; the rest use a binary search over the ranges.
 */
final class CodePointSet {
    private static final int BMP = 0x10000;

    private final long[] bmpBits = new long[BMP / 64];
    /** Inclusive range bounds, {@code [start0, end0, start1, end1, ...]}, for ranges that reach beyond the BMP. */
    private final int[] supplementary;

    /**
     * @param ranges inclusive bounds {@code [start0, end0, start1, end1, ...]}, sorted and non-overlapping
     */
    CodePointSet(int[] ranges) {
        if (ranges.length % 2 != 0) {
            throw new IllegalArgumentException("ranges need an even number of bounds");
        }
        int[] supp = new int[ranges.length];
        int n = 0;
        for (int i = 0; i < ranges.length; i += 2) {
            int start = ranges[i];
            int end = ranges[i + 1];
            if (start > end || (i > 0 && start <= ranges[i - 1])) {
                throw new IllegalArgumentException("ranges must be sorted and disjoint at index " + i);
            }
            for (int c = start; c <= Math.min(end, BMP - 1); c++) {
                bmpBits[c >>> 6] |= 1L << c;
            }
            if (end >= BMP) {
                supp[n++] = Math.max(start, BMP);
                supp[n++] = end;
            }
        }
        supplementary = Arrays.copyOf(supp, n);
    }

    /** Whether the set holds {@code codePoint}. */
    boolean contains(int codePoint) {
        if (codePoint < BMP) {
            return codePoint >= 0 && (bmpBits[codePoint >>> 6] & (1L << codePoint)) != 0;
        }
        int lo = 0;
        int hi = supplementary.length / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (codePoint < supplementary[2 * mid]) {
                hi = mid - 1;
            } else if (codePoint > supplementary[2 * mid + 1]) {
                lo = mid + 1;
            } else {
                return true;
            }
        }
        return false;
    }
}
