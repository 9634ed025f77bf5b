package org.clip4j.core.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ResNet layers under the ownership rule (memcheck is on for the suite): a donated gradient computes what a
 * borrowed one does, the tape gives back everything the block saved, and an exception in the middle of a
 * forward leaves no array behind.
 */
class ResNetOwnershipTest {
    /** A block in training mode (batch statistics), random parameters and positive running variances. */
    private static Bottleneck block(int in, int planes, int stride, long seed) {
        Bottleneck b = new Bottleneck("layer", in, planes, stride);
        GradCheck.randomize(b, seed, 0.5);
        for (BatchNorm2d bn : b.batchNorms()) {
            bn.runningVar().set(Nd4j.ones(DataType.DOUBLE, bn.channels()));
            bn.numBatchesTracked().set(Nd4j.scalar(DataType.INT64, 0L));
        }
        b.train(true);
        return b;
    }

    @Test
    void aDonatedGradientGivesTheSameInputGradientAsABorrowedOneAndTheTapeGivesEverythingBack() {
        // Identity block (inplanes = 4·planes, stride 1): the donated dy becomes dx itself; and a downsampling one.
        int[][] configs = {{8, 2, 1}, {4, 2, 2}};
        for (int[] c : configs) {
            Bottleneck b = block(c[0], c[1], c[2], 40 + c[2]);
            INDArray x = GradCheck.randn(41, 2, c[0], 4, 4);
            int owned = Memcheck.ownedCount(), violations = Memcheck.violations().size();

            INDArray dy = GradCheck.randn(42, 2, 4L * c[1], 4 / c[2], 4 / c[2]);
            INDArray dyBefore = dy.dup();
            INDArray dxBorrowed;
            try (Tape tape = new Tape()) {
                INDArray y = b.forward(x, tape);                   // ours: outside any scope
                dxBorrowed = b.backward(dy, tape);                 // dy borrowed: left as it was
                assertEquals(0, tape.size());
                Tensors.release(y);
            }
            assertEquals(0, dy.sub(dyBefore).amaxNumber().doubleValue(), 0.0, "a borrowed dy was written to");

            INDArray dxDonated;
            try (Tape tape = new Tape(); Scope s = Scope.open()) {
                INDArray y = b.forward(x, tape);                   // owned by s
                INDArray g = s.track(dy.dup());
                dxDonated = s.ret(b.backward(g, tape, true));       // g donated: the block may write into it
                assertEquals(0, tape.size());
                assertTrue(s.owns(y));
            }
            assertArrayEquals(x.shape(), dxDonated.shape());
            // The same operations in the same order, only written into other buffers: bit for bit equal.
            assertEquals(0, dxDonated.sub(dxBorrowed).amaxNumber().doubleValue(), 0.0, "config " + c[0] + "/" + c[2]);
            Tensors.release(dxBorrowed, dxDonated);
            assertEquals(owned, Memcheck.ownedCount(), "arrays still owned by a scope or a tape frame");
            assertEquals(violations, Memcheck.violations().size(), "memcheck: " + Memcheck.violations());
        }
    }

    @Test
    void anExceptionInTheMiddleOfATrainingForwardLeavesNothingBehind() {
        Bottleneck b = block(4, 2, 2, 50);
        // [1, 4, 2, 2]: conv1 … the pool run, then bn3 sees one value per channel (1×1 after the pool) and throws.
        INDArray x = GradCheck.randn(51, 1, 4, 2, 2);
        int owned = Memcheck.ownedCount(), violations = Memcheck.violations().size();
        IllegalArgumentException e;
        try (Tape tape = new Tape()) {
            e = assertThrows(IllegalArgumentException.class, () -> b.forward(x, tape));
            assertTrue(tape.size() > 0, "the layers before bn3 saved their records");
        }
        assertTrue(e.getMessage().contains("more than 1 value per channel"), e.getMessage());
        assertEquals(0, e.getSuppressed().length, "suppressed: " + java.util.Arrays.toString(e.getSuppressed()));
        assertEquals(owned, Memcheck.ownedCount(), "arrays still owned by a scope or a tape frame");
        assertEquals(violations, Memcheck.violations().size(), "memcheck: " + Memcheck.violations());
    }
}
