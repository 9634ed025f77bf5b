package org.clip4j.eval;

import org.clip4j.core.nn.Scope;
import org.clip4j.core.nn.Tensors;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Copies of native arrays onto the Java heap, read straight from the array's buffer. ND4J's
 * {@code toFloatMatrix()} and {@code toDoubleMatrix()} make a native copy of every row that nothing releases
 * (the garbage collector does, some time later; {@link org.clip4j.core.nn.Memcheck} reports them as leaks of the
 * enclosing scope).
 */
final class HeapArrays {
    private HeapArrays() {
    }

    /** The rows of the 2-D {@code m} ({@code [n, d]}, any layout) as floats. */
    static float[][] floatRows(INDArray m) {
        int n = (int) m.size(0), d = (int) m.size(1);
        float[] flat = floats(m);
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) out[i] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        return out;
    }

    /** The rows of the 2-D {@code m} ({@code [n, d]}, any layout) as doubles. */
    static double[][] doubleRows(INDArray m) {
        int n = (int) m.size(0), d = (int) m.size(1);
        double[] flat = doubles(m);
        double[][] out = new double[n][];
        for (int i = 0; i < n; i++) out[i] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        return out;
    }

    /** Every element of {@code a} in row-major order, as floats. */
    static float[] floats(INDArray a) {
        if (Tensors.isRowMajorContiguous(a)) return a.data().getFloatsAt(a.offset(), (int) a.length());
        try (Scope s = Scope.open()) {
            INDArray c = s.track(a.dup('c'));
            return c.data().getFloatsAt(c.offset(), (int) c.length());
        }
    }

    /** Every element of {@code a} in row-major order, as doubles. */
    static double[] doubles(INDArray a) {
        if (Tensors.isRowMajorContiguous(a)) return a.data().getDoublesAt(a.offset(), (int) a.length());
        try (Scope s = Scope.open()) {
            INDArray c = s.track(a.dup('c'));
            return c.data().getDoublesAt(c.offset(), (int) c.length());
        }
    }
}
