package org.clip4j.eval.probe;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class RegularizationSweepTest {
    /** A peak at log₁₀ C = 1.3: the grid finds 2, then 1, 1.5, 1.25, and stops at 1/8 decade on 1.25. */
    @Test
    void parametricBinarySearchOnAUnimodalScore() {
        RegularizationSweep.Result r = new RegularizationSweep().run(c -> -Math.pow(Math.log10(c) - 1.3, 2));
        List<Double> exps = r.evaluated().stream().map(RegularizationSweep.Point::log10C).toList();
        assertEquals(List.of(-6.0, -4.0, -2.0, 0.0, 2.0, 4.0, 6.0, 1.0, 3.0, 0.5, 1.5, 1.25, 1.75, 1.125, 1.375), exps);
        assertEquals(1.25, r.best().log10C());
        assertEquals(Math.pow(10, 1.25), r.best().c(), 1e-12);
    }

    /** Equal scores everywhere: the smallest C wins and out-of-range neighbours are skipped. */
    @Test
    void tiesGoToTheStrongestRegularisation() {
        RegularizationSweep.Result r = new RegularizationSweep().run(c -> 0.5);
        assertEquals(-6.0, r.best().log10C());
        List<Double> exps = r.evaluated().stream().map(RegularizationSweep.Point::log10C).toList();
        assertEquals(List.of(-6.0, -4.0, -2.0, 0.0, 2.0, 4.0, 6.0, -5.0, -5.5, -5.75, -5.875), exps);
    }
}
