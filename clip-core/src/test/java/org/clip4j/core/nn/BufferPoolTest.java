package org.clip4j.core.nn;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool's reuse rules. The build runs tests with {@code clip4j.bufferPool.minBytes=0}: every size is pooled. */
class BufferPoolTest {
    @AfterEach
    void trim() {
        BufferPool.trim();
    }

    @Test
    void releasedBufferIsReusedForTheSameTypeAndLengthOnly() {
        BufferPool.trim();
        INDArray a = BufferPool.create(DataType.FLOAT, 4, 6);
        a.assign(3);
        Tensors.release(a);
        assertEquals(24 * 4, BufferPool.idleBytes());
        INDArray other = BufferPool.create(DataType.DOUBLE, 4, 6); // same length, other type: fresh
        assertNotSame(a.data(), other.data());
        INDArray b = BufferPool.create(DataType.FLOAT, 2, 3, 4);   // same type and length, other shape: reused
        assertSame(a.data(), b.data());
        assertArrayEquals(new long[] {2, 3, 4}, b.shape());
        assertEquals(3.0, b.getDouble(1, 2, 3), 0.0);              // contents are the previous user's
        assertEquals(0, BufferPool.idleBytes());
        Tensors.release(b, other);
    }

    @Test
    void aChannelsLastViewReleasesItsBufferAndADoubleReleaseIsReportedNotRepeated() {
        BufferPool.trim();
        INDArray x = Tensors.create4(DataType.FLOAT, true, 2, 3, 4, 5);  // permute view of a pooled [2, 4, 5, 3]
        assertTrue(Tensors.isChannelsLast(x));
        Tensors.release(x);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Tensors.release(x));
        assertTrue(e.getMessage().startsWith("memcheck: double release"), e.getMessage()); // and no second idle entry
        assertEquals(120 * 4, BufferPool.idleBytes());
        INDArray y = BufferPool.create(DataType.FLOAT, 120);
        INDArray z = BufferPool.create(DataType.FLOAT, 120);
        assertSame(x.data(), y.data());
        assertNotSame(y.data(), z.data());                              // never handed out twice
        Tensors.release(y, z);
    }

    @Test
    void zerosAndCopiesHaveTheRightValuesOverRecycledBuffers() {
        BufferPool.trim();
        INDArray dirty = BufferPool.create(DataType.FLOAT, 2, 3, 2, 2);
        dirty.assign(7);
        Tensors.release(dirty);
        INDArray zeros = BufferPool.zeros(DataType.FLOAT, 24);
        assertEquals(0.0, zeros.sumNumber().doubleValue(), 0.0);
        zeros.assign(9);
        Tensors.release(zeros);
        INDArray x = Nd4j.arange(24).castTo(DataType.FLOAT).reshape('c', 2, 3, 2, 2);
        INDArray copy = Tensors.copy4(x);                                // over the recycled buffer of 9s
        assertEquals(x, copy);
        INDArray last = Tensors.toChannelsLast(x);
        INDArray back = Tensors.copy4Like(last, x);                      // C-contiguous again
        assertEquals(x, back);
        Tensors.release(copy, last, back);
    }

    @Test
    void aBufferClosedBehindThePoolsBackIsNotHandedOut() {
        BufferPool.trim();
        INDArray a = BufferPool.create(DataType.FLOAT, 10);
        Tensors.release(a);
        a.data().close();                                               // someone closed it anyway
        INDArray b = BufferPool.create(DataType.FLOAT, 10);
        assertNotSame(a.data(), b.data());
        assertFalse(b.wasClosed());
        b.assign(1);
        assertEquals(10.0, b.sumNumber().doubleValue(), 0.0);
        Tensors.release(b);
    }

    @Test
    void plainArraysAreClosedNotPooled() {
        BufferPool.trim();
        INDArray plain = Nd4j.create(DataType.FLOAT, 10);
        assertFalse(BufferPool.recycle(plain));
        Tensors.release(plain);
        assertTrue(plain.wasClosed());
        assertEquals(0, BufferPool.idleBytes());
    }
}
