package org.clip4j.eval;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RetrievalMetricsTest {
    /** Three images on the axes; five captions, two each for images 0 and 1, one for image 2 (hand-ranked). */
    @Test
    void ranksAndRecallOnAHandComputedCase() {
        float[][] img = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
        float[][] txt = {
                {1, 0.1f, 0},      // text 0 → image 0: rank 1
                {0.2f, 1, 0.1f},   // text 1 → image 0: image 1 is closer, rank 2
                {0, 1, 0},         // text 2 → image 1: rank 1
                {0, 0.5f, 0.6f},   // text 3 → image 1: image 2 closer, rank 2
                {0.9f, 0, 0.1f}};  // text 4 → image 2: image 0 closer, rank 2
        int[] owner = {0, 0, 1, 1, 2};
        Map<String, Double> r = RetrievalMetrics.compute(Nd4j.createFromArray(img), Nd4j.createFromArray(txt), owner, 1, 5);
        assertEquals(2 / 5.0, r.get("text_to_image_R@1"), 1e-12);
        assertEquals(1.0, r.get("text_to_image_R@5"), 1e-12);
        assertEquals((1 + 2 + 1 + 2 + 2) / 5.0, r.get("text_to_image_mean_rank"), 1e-12);
        assertEquals(2.0, r.get("text_to_image_median_rank"), 1e-12);
        // cosines: image 0 → its text 0 (0.995) beats text 4 (0.994): rank 1; image 1 → its text 2 (1.0): rank 1;
        // image 2 → its only text 4 (0.110) is beaten by text 3 (0.768, image 1's): rank 2.
        assertEquals(2 / 3.0, r.get("image_to_text_R@1"), 1e-12);
        assertEquals(4 / 3.0, r.get("image_to_text_mean_rank"), 1e-12);
        assertEquals(1.0, r.get("image_to_text_median_rank"), 1e-12);
        assertEquals(1.0, r.get("image_to_text_R@5"), 1e-12);
        assertThrows(IllegalArgumentException.class,
                () -> RetrievalMetrics.compute(Nd4j.createFromArray(img), Nd4j.createFromArray(txt), new int[]{0, 0, 1, 1, 3}, 1));
    }
}
