package org.clip4j.encoders;

import org.clip4j.core.nn.Parameter;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

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

    /**
     * One training step of {@code model} on the fixture's image and text: asserts the loss within 1e-5 relative
     * and every stored {@code grad.*} tensor within 1e-3 normwise (the conformance tolerances of issue 3);
     * returns the number of gradients checked. Gradients are zeroed before and after.
     */
    static int assertLossAndGradients(String label, ClipModel model, SafetensorsFile expected) {
        model.zeroGrad();
        double loss = model.forwardBackward(expected.floatArray("image"), expected.array("text"));
        double want = expected.floats("loss")[0];
        double err = Math.abs(loss - want) / Math.abs(want);
        System.out.printf("  %s loss %.8f vs %.8f: rel. error %.3e%n", label, loss, want, err);
        assertTrue(err <= 1e-5, label + ": loss " + loss + " vs " + want);
        Map<String, Parameter> byName = new HashMap<>();
        for (Parameter p : model.parameters()) byName.put(p.name(), p);
        int checked = 0;
        for (String name : expected.names()) {
            if (!name.startsWith("grad.")) continue;
            Parameter p = byName.get(name.substring(5));
            assertTrue(p != null, "no parameter for " + name);
            assertArrayEquals(p.shape(), expected.info(name).shape(), name);
            assertClose(label + " " + name, p.grad(), expected.floatArray(name), 1e-3);
            checked++;
        }
        model.zeroGrad();
        return checked;
    }
}
