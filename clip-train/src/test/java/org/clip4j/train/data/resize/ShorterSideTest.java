package org.clip4j.train.data.resize;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ShorterSideTest {
    @Test
    void pythonRoundingAndNoUpscale() {
        assertArrayEquals(new int[]{29, 16}, ShorterSide.size(90, 50, 16));     // 28.8
        assertArrayEquals(new int[]{16, 16}, ShorterSide.size(33, 32, 16));     // 16.5 -> 16 (half to even)
        assertArrayEquals(new int[]{18, 16}, ShorterSide.size(35, 32, 16));     // 17.5 -> 18
        assertArrayEquals(new int[]{64, 91}, ShorterSide.size(2100, 2970, 64)); // 90.51...
        assertArrayEquals(new int[]{12, 20}, ShorterSide.size(12, 20, 16));     // smaller: unchanged
        assertArrayEquals(new int[]{64, 300}, ShorterSide.size(64, 300, 64));   // equal: unchanged
        assertThrows(IllegalArgumentException.class, () -> ShorterSide.size(10, 10, 0));
    }
}
