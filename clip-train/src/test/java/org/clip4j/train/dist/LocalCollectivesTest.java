package org.clip4j.train.dist;

import org.clip4j.core.ClipException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

class LocalCollectivesTest {
    @Test
    void everyOperationOnThreeRanks() throws Exception {
        int n = 3;
        List<Collectives> group = LocalCollectives.group(n);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<Future<?>> fs = new ArrayList<>();
        for (Collectives c : group) {
            fs.add(pool.submit(() -> {
                int r = c.rank();
                INDArray a = Nd4j.linspace(DataType.FLOAT, 1, 4, 4).muli(r + 1);
                c.allReduceSum(a);
                assertEquals(Nd4j.linspace(DataType.FLOAT, 1, 4, 4).muli(6), a);
                INDArray g = c.allGather(Nd4j.valueArrayOf(new long[]{2, 2}, (float) r));
                assertArrayEquals(new long[]{6, 2}, g.shape());
                for (int q = 0; q < n; q++) assertEquals(q, g.getFloat(2L * q + 1, 1));
                INDArray full = Nd4j.create(DataType.FLOAT, 6, 1);
                for (int i = 0; i < 6; i++) full.putScalar(i, 0, r * 100 + i);
                INDArray mine = c.reduceScatterSum(full);        // rows 2r, 2r+1 summed over ranks
                assertEquals(300 + 3 * (2 * r), mine.getDouble(0, 0));
                assertEquals(300 + 3 * (2 * r + 1), mine.getDouble(1, 0));
                INDArray b = Nd4j.createFromArray(new long[]{r, r});
                c.broadcast(b, 2);
                assertEquals(2, b.getLong(1));
                assertEquals(10, c.allReduceMax(r * 5L));
                assertEquals(3.0, c.allReduceSum(1.0));
                return null;
            }));
        }
        for (Future<?> f : fs) f.get();
        pool.shutdownNow();
    }

    @Test
    void anAbortedGroupFailsTheWaitingRanksInsteadOfHanging() throws Exception {
        List<Collectives> group = LocalCollectives.group(2);
        ExecutorService pool = Executors.newFixedThreadPool(1);
        Future<?> waiting = pool.submit(() -> {
            group.get(0).allReduceSum(Nd4j.ones(DataType.FLOAT, 3));
            return null;
        });
        group.get(1).abort(1);
        ExecutionException e = assertThrows(ExecutionException.class, waiting::get);
        assertInstanceOf(ClipException.class, e.getCause());
        pool.shutdownNow();
    }
}
