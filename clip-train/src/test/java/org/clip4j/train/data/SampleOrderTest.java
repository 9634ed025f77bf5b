package org.clip4j.train.data;

import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.tokenizer.ClipTokenizer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The three {@link Sampling} modes: determinism, random access for resume, and resampling's distribution. */
class SampleOrderTest {
    @Test
    void modesMapPositionsAsDocumented() {
        SampleOrder seq = new SampleOrder(Sampling.SEQUENTIAL, 7, 3);
        assertEquals(3, seq.indexAt(24));
        SampleOrder perm = new SampleOrder(Sampling.PERMUTATION, 7, 3), res = new SampleOrder(Sampling.RESAMPLED, 7, 3);
        for (long p = 0; p < 21; p++) {
            assertEquals(SampleOrder.permutation(7, 3, p / 7)[(int) (p % 7)], perm.indexAt(p));
            assertEquals(SampleOrder.draws(7, 3, p / 7)[(int) (p % 7)], res.indexAt(p));
        }
        assertEquals(Sampling.RESAMPLED, Sampling.of(false, true));
        assertEquals(Sampling.PERMUTATION, Sampling.of(true, false));
        assertEquals(Sampling.SEQUENTIAL, Sampling.of(false, false));
    }

    @Test
    void resampledIsDeterministicAndRandomAccess() {
        long[] a = SampleOrder.draws(50, 3, 0);
        assertArrayEquals(a, SampleOrder.draws(50, 3, 0));
        assertFalse(Arrays.equals(a, SampleOrder.draws(50, 3, 1)), "another epoch, other draws");
        assertFalse(Arrays.equals(a, SampleOrder.draws(50, 4, 0)), "another seed, other draws");
        assertFalse(Arrays.equals(a, SampleOrder.permutation(50, 3, 0)), "not the permutation of the same seed");
        // a fresh order asked at position 123 (a resume) gives what a walk from 0 gives there
        SampleOrder walk = new SampleOrder(Sampling.RESAMPLED, 50, 3);
        long[] walked = new long[200];
        for (int p = 0; p < 200; p++) walked[p] = walk.indexAt(p);
        SampleOrder resumed = new SampleOrder(Sampling.RESAMPLED, 50, 3);
        for (int p = 123; p < 200; p++) assertEquals(walked[p], resumed.indexAt(p));
    }

    @Test
    void resampledDrawsWithReplacementUniformly() {
        // with replacement: the first epoch of seed 3 over 50 samples shows only 35 distinct ones (expected 50 (1 - 1/e) ≈ 32)
        long[] a = SampleOrder.draws(50, 3, 0);
        assertEquals(35, Arrays.stream(a).distinct().count());
        for (long i : a) assertTrue(i >= 0 && i < 50);
        // over 2,000 epochs of 10 samples every index is drawn about 2,000 times: chi-square (9 degrees of freedom)
        // below 27.88, its 0.1 % critical value
        long[] counts = new long[10];
        for (long e = 0; e < 2000; e++) for (long i : SampleOrder.draws(10, 11, e)) counts[(int) i]++;
        double chi2 = 0;
        for (long c : counts) chi2 += (c - 2000.0) * (c - 2000.0) / 2000.0;
        assertTrue(chi2 < 27.88, "chi-square " + chi2 + " of " + Arrays.toString(counts));
        for (long c : counts) assertTrue(Math.abs(c - 2000) < 200, Arrays.toString(counts));
    }

    @Test
    void loaderResampledResumesExactly() {
        SyntheticSource src = new SyntheticSource(SyntheticShapes.training(1, 32), 12);
        List<Batch> run = new ArrayList<>();
        try (BatchLoader l = new BatchLoader(src, ImagePreprocessor.clip(32), null, ClipTokenizer.openai(), 16, 5,
                Sampling.RESAMPLED, 8, 0, 2, 2)) {
            for (int i = 0; i < 5; i++) run.add(l.next());   // 25 positions: crosses two epoch boundaries
        }
        SampleOrder order = new SampleOrder(Sampling.RESAMPLED, 12, 8);
        for (Batch b : run) {
            for (int k = 0; k < 5; k++) assertEquals(order.indexAt(b.positions()[k]), b.indices()[k]);
        }
        try (BatchLoader l = new BatchLoader(src, ImagePreprocessor.clip(32), null, ClipTokenizer.openai(), 16, 5,
                Sampling.RESAMPLED, 8, run.get(1).positionAfter(), 1, 1)) {
            for (int i = 2; i < 5; i++) {
                try (Batch b = l.next()) {
                    assertArrayEquals(run.get(i).positions(), b.positions());
                    assertArrayEquals(run.get(i).indices(), b.indices());
                    assertEquals(run.get(i).images(), b.images());
                }
            }
        }
        run.forEach(Batch::close);
    }
}
