package org.clip4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** The BPE loop on a synthetic rule table. Ids: a=1, b=2, c=3, aa=10, ab=11, bc=12, aab=13. */
class BpeMergesTest {
    private static BpeMerges rules(int[]... triples) {
        BpeMerges.Builder builder = new BpeMerges.Builder();
        for (int[] t : triples) {
            builder.add(t[0], t[1], t[2]);
        }
        return builder.build();
    }

    @Test
    void mergesAllOccurrencesLeftToRightWithoutOverlap() {
        BpeMerges merges = rules(new int[] {1, 1, 10});
        assertArrayEquals(new int[] {10, 1}, merges.apply(new int[] {1, 1, 1}));
        assertArrayEquals(new int[] {10, 10}, merges.apply(new int[] {1, 1, 1, 1}));
        assertArrayEquals(new int[] {10, 2, 10}, merges.apply(new int[] {1, 1, 2, 1, 1}));
    }

    @Test
    void onePassMergesEveryOccurrenceBeforeRanksAreLookedAtAgain() {
        // rank 0: aa a -> 20, rank 1: a a -> aa. "a a a a": the only applicable rule is a a, and the reference
        // merges both occurrences in one pass -> "aa aa"; merging one at a time would give "aa a a" -> "20 a".
        BpeMerges merges = rules(new int[] {10, 1, 20}, new int[] {1, 1, 10});
        assertArrayEquals(new int[] {10, 10}, merges.apply(new int[] {1, 1, 1, 1}));
        assertArrayEquals(new int[] {20}, merges.apply(new int[] {1, 1, 1}));
    }

    @Test
    void lowestRankFirstNotLeftmost() {
        // rank 0: b c, rank 1: a b. "a b c" -> "a bc" (a b never applies afterwards).
        BpeMerges merges = rules(new int[] {2, 3, 12}, new int[] {1, 2, 11});
        assertArrayEquals(new int[] {1, 12}, merges.apply(new int[] {1, 2, 3}));
        // rank order reversed -> "ab c"
        BpeMerges reversed = rules(new int[] {1, 2, 11}, new int[] {2, 3, 12});
        assertArrayEquals(new int[] {11, 3}, reversed.apply(new int[] {1, 2, 3}));
    }

    @Test
    void repeatsUntilNoRuleApplies() {
        BpeMerges merges = rules(new int[] {1, 1, 10}, new int[] {10, 2, 13});
        assertArrayEquals(new int[] {13}, merges.apply(new int[] {1, 1, 2}));
        assertArrayEquals(new int[] {3, 2}, merges.apply(new int[] {3, 2}));
        assertArrayEquals(new int[] {3}, merges.apply(new int[] {3}));
    }

    @Test
    void doesNotModifyItsInput() {
        int[] word = {1, 1};
        rules(new int[] {1, 1, 10}).apply(word);
        assertArrayEquals(new int[] {1, 1}, word);
    }
}
