package org.clip4j.eval;

/**
 * {@code torch.argsort(x, descending=True)} of one float32 row as PyTorch's CPU kernel computes it, ties
 * included: libstdc++'s {@code std::sort} (introsort) over (value, index) pairs with PyTorch's descending
 * comparator ({@code a > b}, NaN before every number). {@code std::sort} is not stable, so equal values come out
 * in an order that depends on the whole row; this class reproduces that order step by step.
 *
 * <p>The algorithm, as libstdc++ (GCC) implements it: while a range is longer than 16 elements and the depth
 * budget 2·⌊log₂ n⌋ lasts, move the median of (second, middle, last) elements to the front, partition the rest
 * around it without bounds checks (both scans stop at elements equal to the pivot, which are swapped), recurse
 * on the right part and loop on the left; a range whose budget runs out is heap-sorted; finally one insertion
 * sort over the whole row (guarded for its first 16 elements, unguarded after). Rows of at most 16 elements are
 * insertion-sorted only, which is stable.
 *
 * <p>Verified against torch 1.13.1 (Debian's python3-torch) on rows with many ties and all-equal rows
 * ({@code clip-eval/src/test/scripts/gen_retrieval_ties.py}). PyTorch builds that sort float32 on x86 CPUs with
 * x86-simd-sort (newer releases, on AVX2 and AVX-512 CPUs) or with another C++ library (libc++ on macOS, MSVC)
 * order ties differently; see docs/evaluation.md.
 */
public final class TorchArgsort {
    /** Ranges up to this length are left to the final insertion sort (libstdc++'s {@code _S_threshold}). */
    private static final int THRESHOLD = 16;

    private final float[] key;
    private final int[] idx;

    private TorchArgsort(float[] values) {
        key = values.clone();
        idx = new int[values.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
    }

    /** The indices of {@code values} in torch's descending order (values is not modified). */
    public static int[] descending(float[] values) {
        TorchArgsort s = new TorchArgsort(values);
        int n = values.length;
        if (n > 1) {
            s.introsortLoop(0, n, 2 * (31 - Integer.numberOfLeadingZeros(n)));
            s.finalInsertionSort(0, n);
        }
        return s.idx;
    }

    /** PyTorch's descending comparator: a goes before b. */
    static boolean before(float a, float b) {
        return (Float.isNaN(a) && !Float.isNaN(b)) || a > b;
    }

    private boolean comp(int i, int j) {
        return before(key[i], key[j]);
    }

    private void swap(int i, int j) {
        float k = key[i];
        key[i] = key[j];
        key[j] = k;
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }

    private void introsortLoop(int first, int last, int depth) {
        while (last - first > THRESHOLD) {
            if (depth == 0) {
                heapSort(first, last);
                return;
            }
            depth--;
            int cut = partitionAroundMedian(first, last);
            introsortLoop(cut, last, depth);
            last = cut;
        }
    }

    private int partitionAroundMedian(int first, int last) {
        int mid = first + (last - first) / 2;
        moveMedianToFirst(first, first + 1, mid, last - 1);
        // Unguarded partition of [first + 1, last) around the pivot now at first.
        int lo = first + 1, hi = last;
        while (true) {
            while (comp(lo, first)) lo++;
            hi--;
            while (comp(first, hi)) hi--;
            if (lo >= hi) return lo;
            swap(lo, hi);
            lo++;
        }
    }

    /** Swaps the median of a, b, c (by the comparator, in libstdc++'s order of tests) into result. */
    private void moveMedianToFirst(int result, int a, int b, int c) {
        if (comp(a, b)) {
            if (comp(b, c)) swap(result, b);
            else if (comp(a, c)) swap(result, c);
            else swap(result, a);
        } else if (comp(a, c)) {
            swap(result, a);
        } else if (comp(b, c)) {
            swap(result, c);
        } else {
            swap(result, b);
        }
    }

    private void finalInsertionSort(int first, int last) {
        if (last - first > THRESHOLD) {
            insertionSort(first, first + THRESHOLD);
            for (int i = first + THRESHOLD; i < last; i++) linearInsert(i);
        } else {
            insertionSort(first, last);
        }
    }

    private void insertionSort(int first, int last) {
        if (first == last) return;
        for (int i = first + 1; i < last; i++) {
            if (comp(i, first)) {
                // goes before everything so far: shift [first, i) right by one
                float k = key[i];
                int t = idx[i];
                System.arraycopy(key, first, key, first + 1, i - first);
                System.arraycopy(idx, first, idx, first + 1, i - first);
                key[first] = k;
                idx[first] = t;
            } else {
                linearInsert(i);
            }
        }
    }

    /** Moves element i left past every element it goes before (unguarded: something to its left stops it). */
    private void linearInsert(int i) {
        float k = key[i];
        int t = idx[i];
        int next = i - 1;
        while (before(k, key[next])) {
            key[i] = key[next];
            idx[i] = idx[next];
            i = next;
            next--;
        }
        key[i] = k;
        idx[i] = t;
    }

    // ---- heap sort of [first, last) (std::partial_sort with middle = last): make_heap, then sort_heap ----

    private void heapSort(int first, int last) {
        int len = last - first;
        if (len >= 2) {
            for (int parent = (len - 2) / 2; ; parent--) {
                adjustHeap(first, parent, len, key[first + parent], idx[first + parent]);
                if (parent == 0) break;
            }
        }
        while (last - first > 1) {
            last--;
            // pop: the top goes to last, the old last value sifts down from the top
            float k = key[last];
            int t = idx[last];
            key[last] = key[first];
            idx[last] = idx[first];
            adjustHeap(first, 0, last - first, k, t);
        }
    }

    private void adjustHeap(int first, int hole, int len, float k, int t) {
        int top = hole, child = hole;
        while (child < (len - 1) / 2) {
            child = 2 * (child + 1);
            if (comp(first + child, first + child - 1)) child--;
            key[first + hole] = key[first + child];
            idx[first + hole] = idx[first + child];
            hole = child;
        }
        if ((len & 1) == 0 && child == (len - 2) / 2) {
            child = 2 * (child + 1);
            key[first + hole] = key[first + child - 1];
            idx[first + hole] = idx[first + child - 1];
            hole = child - 1;
        }
        // push the value back up towards top
        int parent = (hole - 1) / 2;
        while (hole > top && before(key[first + parent], k)) {
            key[first + hole] = key[first + parent];
            idx[first + hole] = idx[first + parent];
            hole = parent;
            parent = (hole - 1) / 2;
        }
        key[first + hole] = k;
        idx[first + hole] = t;
    }
}
