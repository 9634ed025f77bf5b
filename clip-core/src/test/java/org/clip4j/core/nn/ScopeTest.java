package org.clip4j.core.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ownership rule: what a scope frees, what it hands on, what the tape keeps, and what memcheck reports. */
class ScopeTest {
    /** The suite runs with the check on (see the parent pom); these tests are about it. */
    @Test
    void memcheckIsOnInTheTestSuite() {
        assertTrue(Memcheck.ENABLED, "the tests must run with -Dclip4j.memcheck=true");
    }

    @Test
    void trackedArraysAreFreedAtTheEndAndReturnedOnesAreNot() {
        INDArray temp, result;
        try (Scope s = Scope.open()) {
            temp = s.track(Nd4j.ones(DataType.FLOAT, 3, 4));
            result = s.ret(s.track(temp.mul(2)));
        }
        assertTrue(temp.wasClosed());
        assertFalse(result.wasClosed());
        assertEquals(24.0, result.sumNumber().doubleValue(), 0.0);
        Tensors.release(result);
        assertTrue(result.wasClosed());
    }

    @Test
    void anExceptionStillFreesEverythingTracked() {
        INDArray[] seen = new INDArray[1];
        assertThrows(ArithmeticException.class, () -> {
            try (Scope s = Scope.open()) {
                seen[0] = s.track(Nd4j.ones(DataType.FLOAT, 5));
                throw new ArithmeticException("mid-forward");
            }
        });
        assertTrue(seen[0].wasClosed());
        assertNull(Scope.current());
    }

    @Test
    void retHandsTheArrayToTheEnclosingScope() {
        INDArray inner;
        try (Scope outer = Scope.open()) {
            try (Scope s = Scope.open()) {
                assertSame(outer, s.parent());
                inner = s.ret(s.track(Nd4j.ones(DataType.FLOAT, 4)));
            }
            assertTrue(outer.owns(inner));
            assertFalse(inner.wasClosed());
        }
        assertTrue(inner.wasClosed());
    }

    @Test
    void adoptTakesADonatedArgumentFromTheEnclosingScope() {
        try (Scope outer = Scope.open()) {
            INDArray dy = outer.track(Nd4j.ones(DataType.FLOAT, 4));
            INDArray back;
            try (Scope s = Scope.open()) {
                back = s.ret(s.adopt(dy).muli(3)); // in place on the donated array
            }
            assertSame(dy, back);
            assertTrue(outer.owns(back));
            assertEquals(12.0, back.sumNumber().doubleValue(), 0.0);
        }
    }

    @Test
    void detachHandsAnArrayToALongLivedOwner() {
        INDArray state;
        try (Scope outer = Scope.open()) {
            try (Scope s = Scope.open()) {
                state = s.detach(s.track(Nd4j.zeros(DataType.FLOAT, 6)));
            }
            assertFalse(outer.owns(state));
        }
        assertFalse(state.wasClosed(), "neither scope frees a detached array");
        Tensors.release(state); // its new owner does
        assertTrue(state.wasClosed());
    }

    @Test
    void aSizeOneFirstDimensionSumsWithoutAHiddenCopy() {
        try (Scope s = Scope.open()) {
            INDArray x = s.track(Nd4j.createFromArray(new float[][] {{1, 2, 3}}));
            INDArray one = s.track(Tensors.sumFirst(x));
            INDArray y = s.track(Nd4j.createFromArray(new float[][] {{1, 2, 3}, {10, 20, 30}}));
            INDArray two = s.track(Tensors.sumFirst(y));
            assertEquals(java.util.List.of(1f, 2f, 3f, 11f, 22f, 33f), java.util.List.of(one.getFloat(0), one.getFloat(1),
                    one.getFloat(2), two.getFloat(0), two.getFloat(1), two.getFloat(2)));
        } // memcheck fails here if x.sum(0)'s hidden copy were made
    }

    private record Saved(INDArray borrowed, INDArray mine) { // [4], [4]
    }

    private record Other(INDArray a) {
    }

    @Test
    void theTapeKeepsOwnedComponentsUntilTheBackwardScopeEnds() {
        Object layer = new Object();
        INDArray x = Nd4j.ones(DataType.FLOAT, 4);
        INDArray h;
        try (Tape tape = new Tape()) {
            try (Scope s = Scope.open()) {
                h = s.track(x.mul(5));
                tape.save(layer, new Saved(x, h), s);
            }
            assertFalse(h.wasClosed(), "saved on the tape, not freed with the forward's scope");
            try (Scope s = Scope.open()) {
                Saved sv = tape.pop(layer, Saved.class, s);
                assertSame(h, sv.mine());
                assertTrue(s.owns(h));
                assertFalse(s.owns(x));
            }
            assertTrue(h.wasClosed());
            assertFalse(x.wasClosed(), "a borrowed component is never released by the tape");
        }
        Tensors.release(x);
    }

    @Test
    void theTapeChecksTheRecordTypeAndFreesUnpoppedFrames() {
        Object layer = new Object();
        INDArray h;
        Tape tape = new Tape();
        try (Scope s = Scope.open()) {
            h = s.track(Nd4j.ones(DataType.FLOAT, 4));
            tape.save(layer, new Other(h), s);
        }
        try (Scope s = Scope.open()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> tape.pop(layer, Saved.class, s));
            assertTrue(e.getMessage().contains("expected a Saved record, found Other"), e.getMessage());
        }
        assertEquals(1, tape.size());
        tape.close();
        assertTrue(h.wasClosed());
    }

    @Test
    void memcheckReportsALeakedTemporary() {
        int before = Memcheck.violations().size();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
            try (Scope s = Scope.open()) {
                INDArray untracked = Nd4j.ones(DataType.FLOAT, 7).mul(2); // created, never tracked
                assertEquals(14.0, untracked.sumNumber().doubleValue(), 0.0);
            }
        });
        assertTrue(e.getMessage().startsWith("memcheck: ") && e.getMessage().contains("FLOAT[7]"), e.getMessage());
        assertEquals(before + 1, Memcheck.violations().size());
    }

    @Test
    void memcheckReportsADoubleReleaseAndABorrowedRelease() {
        INDArray a = Nd4j.ones(DataType.FLOAT, 3);
        Tensors.release(a);
        IllegalStateException twice = assertThrows(IllegalStateException.class, () -> Tensors.release(a));
        assertTrue(twice.getMessage().contains("double release"), twice.getMessage());

        try (Scope outer = Scope.open()) {
            INDArray owned = outer.track(Nd4j.ones(DataType.FLOAT, 3));
            IllegalStateException borrowed = assertThrows(IllegalStateException.class, () -> Tensors.release(owned));
            assertTrue(borrowed.getMessage().contains("only its owner releases it"), borrowed.getMessage());
            try (Scope inner = Scope.open()) {
                IllegalStateException notMine = assertThrows(IllegalStateException.class, () -> inner.release(owned));
                assertTrue(notMine.getMessage().contains("does not own"), notMine.getMessage());
            }
            assertFalse(owned.wasClosed());
        }
        Parameter p = Parameter.trainable("w", 2);
        p.set(Nd4j.ones(DataType.FLOAT, 2));
        IllegalStateException param = assertThrows(IllegalStateException.class, () -> Tensors.release(p.value()));
        assertTrue(param.getMessage().contains("parameter"), param.getMessage());
    }

    @Test
    void pooledArraysGoBackToThePoolAndADoubleGiveBackIsReported() {
        INDArray a;
        try (Scope s = Scope.open()) {
            a = s.track(BufferPool.create(DataType.FLOAT, 64, 64));
        }
        assertTrue(BufferPool.isIdle(Memcheck.root(a.data())));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Tensors.release(a));
        assertTrue(e.getMessage().contains("double release"), e.getMessage());
    }
}
