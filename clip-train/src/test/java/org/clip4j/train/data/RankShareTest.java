package org.clip4j.train.data;

import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.image.TrainTransform;
import org.clip4j.core.tokenizer.ClipTokenizer;
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

    /**
     * Two ranks' loaders over 12 samples (micro-batch 3, global batch 6) read each sample of an epoch exactly once,
     * and every micro-batch has the indices and the augmented pixels of the single-process loader's micro-batch
     * at the same global positions.
     */
    @Test
    void loadersOfTwoRanksSplitAnEpochAndSeeTheSingleProcessPixels() {
        SyntheticSource src = new SyntheticSource(SyntheticShapes.training(3, 16), 12);
        ImagePreprocessor pre = ImagePreprocessor.clip(16);
        TrainTransform aug = TrainTransform.builder().size(16).scale(0.5, 1.0).build();
        ClipTokenizer tok = ClipTokenizer.openai();
        int ranks = 2, m = 3;
        BatchLoader[] rank = new BatchLoader[ranks];
        for (int r = 0; r < ranks; r++) {
            rank[r] = new BatchLoader(src, pre, aug, tok, 8, m, Sampling.PERMUTATION, 9, new RankShare(6, m, r, ranks), 0, 1, 2);
        }
        // the single process from the same global position 6 (in the middle of epoch 0)
        try (BatchLoader single = new BatchLoader(src, pre, aug, tok, 8, m, Sampling.PERMUTATION, 9, 6, 1, 2)) {
            Set<Long> epoch1 = new HashSet<>();
            for (int step = 0; step < 4; step++) {
                for (int r = 0; r < ranks; r++) {
                    try (Batch want = single.next(); Batch got = rank[r].next()) {
                        assertArrayEquals(want.positions(), got.positions(), "step " + step + ", rank " + r);
                        assertArrayEquals(want.indices(), got.indices(), "step " + step + ", rank " + r);
                        assertEquals(want.images(), got.images(), "augmented pixels, step " + step + ", rank " + r);
                        for (int i = 0; i < m; i++) {
                            if (got.positions()[i] >= 12 && got.positions()[i] < 24) {
                                assertTrue(epoch1.add(got.indices()[i]), "sample " + got.indices()[i] + " twice in epoch 1");
                            }
                        }
                    }
                }
            }
            assertEquals(12, epoch1.size(), "every sample of epoch 1 read once");
        } finally {
            for (BatchLoader l : rank) l.close();
        }
    }
}
