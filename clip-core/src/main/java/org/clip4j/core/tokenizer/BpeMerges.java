package org.clip4j.core.tokenizer;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The ranked merge rules and the BPE loop of the reference's {@code SimpleTokenizer.bpe}, on vocabulary ids.
 *
 * <p>Each rule {@code (left, right)} has a rank (its line order) and produces the token {@code left + right}.
 * Words are arrays of ids; since every symbol that BPE can produce is a vocabulary token, comparing ids is the
 * same as comparing the reference's strings.
 */
final class BpeMerges {
    /** Key {@code left << 32 | right}; value {@code rank << 32 | mergedId}. */
    private final Map<Long, Long> rules;

    private BpeMerges(Map<Long, Long> rules) {
        this.rules = rules;
    }

    /** Builder of the rule table; rules are added in rank order. */
    static final class Builder {
        private final Map<Long, Long> rules = new HashMap<>(1 << 17);
        private int nextRank;

        /**
         * Adds the next rule. A repeated pair takes the later rank, as in the reference's
         * {@code dict(zip(merges, range(len(merges))))}.
         */
        void add(int leftId, int rightId, int mergedId) {
            rules.put(key(leftId, rightId), ((long) nextRank++ << 32) | (mergedId & 0xFFFFFFFFL));
        }

        BpeMerges build() {
            return new BpeMerges(new HashMap<>(rules));
        }
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** Number of rules. */
    int size() {
        return rules.size();
    }

    /**
     * Runs BPE on one word: repeatedly takes the adjacent pair with the lowest rank and merges every occurrence of
     * it, scanning left to right without overlap ({@code a a a} with rule {@code a a} gives {@code aa a}), until
     * no pair has a rule or one symbol is left.
     *
     * @param word symbol ids; not modified
     * @return the merged ids
     */
    int[] apply(int[] word) {
        int[] w = word.clone();
        int n = w.length;
        while (n > 1) {
            long best = Long.MAX_VALUE;
            int left = 0;
            int right = 0;
            for (int i = 0; i + 1 < n; i++) {
                Long rule = rules.get(key(w[i], w[i + 1]));
                if (rule != null && rule < best) {
                    best = rule;
                    left = w[i];
                    right = w[i + 1];
                }
            }
            if (best == Long.MAX_VALUE) {
                break;
            }
            int merged = (int) best;
            int out = 0;
            for (int i = 0; i < n; ) {
                if (i + 1 < n && w[i] == left && w[i + 1] == right) {
                    w[out++] = merged;
                    i += 2;
                } else {
                    w[out++] = w[i++];
                }
            }
            n = out;
        }
        return n == w.length ? w : Arrays.copyOf(w, n);
    }
}
