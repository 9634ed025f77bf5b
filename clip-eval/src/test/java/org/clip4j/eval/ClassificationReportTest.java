package org.clip4j.eval;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ClassificationReportTest {
    /** Six classes, four rows ranked by hand. */
    @Test
    void topKPerClassAndConfusion() {
        List<String> classes = List.of("a", "b", "c", "d", "e", "f");
        double[][] s = {
                {9, 1, 1, 1, 1, 1},   // true a: rank 1
                {1, 5, 6, 7, 8, 9},   // true b: rank 5 (c, d, e, f above), predicted f
                {0, 0, 0, 0, 0, 0},   // true c: all tied, a and b above it → rank 3, predicted a
                {1, 2, 3, 4, 5, 6}};  // true a: rank 6, predicted f
        ClassificationReport r = ClassificationReport.of(s, new int[]{0, 1, 2, 0}, classes);
        assertEquals(0.25, r.top1(), 0);
        assertEquals(0.75, r.top5(), 0);
        assertEquals(1, r.confusion()[0][0]);
        assertEquals(1, r.confusion()[0][5]);
        assertEquals(1, r.confusion()[1][5]);
        assertEquals(1, r.confusion()[2][0]);
        assertEquals(0.5, r.perClassAccuracy()[0], 0);
        assertEquals(0.0, r.perClassAccuracy()[1], 0);
        assertTrue(Double.isNaN(r.perClassAccuracy()[3]));
        assertEquals(0.5 / 3, r.meanPerClass(), 1e-15);
        assertThrows(IllegalArgumentException.class, () -> ClassificationReport.of(s, new int[]{0, 1, 2, 6}, classes));
    }
}
