package org.clip4j.train.data;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class RankShareTest {
    @Test
    void ranksReadDisjointBlocksThatTogetherAreTheSingleProcessStream() {
        // global batch 12 = 3 ranks × accum-freq 2 × micro-batch 2, from global position 24
        int ranks = 3, k = 2, m = 2;
        for (int step = 0; step < 4; step++) {
            Set<Long> seen = new HashSet<>();
            for (int r = 0; r < ranks; r++) {
                RankShare s = new RankShare(24, m, r, ranks);
                for (int micro = 0; micro < k; micro++) {
                    for (int i = 0; i < m; i++) {
                        long q = (long) step * k * m + micro * m + i;      // local position
                        long g = s.global(q);
                        // micro-batch `micro` of rank r is block micro·R + r of the step's global batch
                        assertEquals(24 + step * 12L + (micro * ranks + r) * m + i, g);
                        assertTrue(seen.add(g), "position " + g + " read twice");
                    }
                }
            }
            assertEquals(12, seen.size());
        }
        RankShare one = RankShare.single();
        assertEquals(17, one.global(17));
        assertEquals(17, one.globalResumePosition(17));
    }

    @Test
    void resumePositionIsTheFirstUntouchedBlockRow() {
        RankShare s = new RankShare(100, 4, 1, 2);
        assertEquals(100 + 2 * 8, s.globalResumePosition(8));  // two full rows of 2 ranks × 4
        assertEquals(100 + 3 * 8, s.globalResumePosition(9));  // a rank read one sample more (a skipped image)
        assertThrows(IllegalArgumentException.class, () -> new RankShare(0, 4, 2, 2));
    }
}
