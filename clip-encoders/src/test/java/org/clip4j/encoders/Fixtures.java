package org.clip4j.encoders;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Locations of the reference fixtures and the normwise error measure of testdata/clip-reference/README.md. */
final class Fixtures {
    private Fixtures() {
    }

    static Path dir() {
        String base = System.getProperty("clip4j.testdata");
        if (base == null) throw new IllegalStateException("system property clip4j.testdata is not set");
        return Path.of(base, "clip-reference");
    }

    /** max|actual − expected| / max|expected|, in double. */
    static double normwise(INDArray actual, INDArray expected) {
        INDArray a = actual.castTo(DataType.DOUBLE), e = expected.castTo(DataType.DOUBLE);
        assertArrayEquals(e.shape(), a.shape(), "shape");
        double scale = e.amaxNumber().doubleValue();
        return a.sub(e).amaxNumber().doubleValue() / (scale == 0 ? 1 : scale);
    }

    /** Asserts the normwise error and returns it (for reporting). */
    static double assertClose(String what, INDArray actual, INDArray expected, double tol) {
        double err = normwise(actual, expected);
        System.out.printf("  %-60s normwise rel. error %.3e (tol %.0e)%n", what, err, tol);
        assertTrue(err <= tol, what + ": normwise relative error " + err + " > " + tol);
        return err;
    }
}
