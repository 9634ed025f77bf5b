package org.clip4j.train.dist;

import org.clip4j.encoders.ClipModel;
import org.clip4j.train.Trainer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Child program of {@link MpiCollectivesTest}, one per rank under {@code mpirun}:
 * <ul>
 *   <li>{@code ops}: every collective on small arrays, whole and split into pieces of 3 elements; prints
 *       {@code OK rank} or throws;</li>
 *   <li>{@code fail}: rank 1 throws while the others wait in a collective (they must not wait forever);</li>
 *   <li>{@code train VIT|RESNET ACCUM OUT}: the five-step run of {@link DataParallelTrainingTest}; rank 0 saves the
 *       weights to OUT.</li>
 * </ul>
 */
public final class MpiProbe {
    private MpiProbe() {
    }

    public static void main(String[] args) {
        MpiCollectives c = MpiCollectives.init();
        try {
            if (args[0].equals("ops")) ops(c);
            else if (args[0].equals("fail")) fail(c);
            else train(c, args[1], Integer.parseInt(args[2]), Path.of(args[3]));
        } catch (Throwable t) {
            t.printStackTrace();
            c.abort(3);
        }
        c.close();
    }

    private static void expect(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    private static void ops(MpiCollectives c) {
        int r = c.rank(), n = c.size();
        for (int max : new int[]{Integer.MAX_VALUE, 3}) {
            c.maxCount = max;
            // all-reduce: rank r holds (r+1)·[1..7]; the sum is n(n+1)/2·[1..7]
            INDArray a = Nd4j.linspace(DataType.FLOAT, 1, 7, 7).muli(r + 1);
            c.allReduceSum(a);
            double tri = n * (n + 1) / 2.0;
            expect(a.equalsWithEps(Nd4j.linspace(DataType.FLOAT, 1, 7, 7).muli(tri), 0), "all-reduce " + a);
            INDArray d = Nd4j.linspace(DataType.DOUBLE, 1, 5, 5).muli(r + 1);
            c.allReduceSum(d);
            expect(d.equalsWithEps(Nd4j.linspace(DataType.DOUBLE, 1, 5, 5).muli(tri), 0), "all-reduce double " + d);
            // all-gather of [2, 3] rows filled with the rank
            INDArray g = c.allGather(Nd4j.valueArrayOf(new long[]{2, 3}, (float) r));
            expect(Arrays.equals(g.shape(), new long[]{2L * n, 3}), "all-gather shape " + Arrays.toString(g.shape()));
            for (int q = 0; q < n; q++) expect(g.getFloat(2L * q + 1, 2) == q, "all-gather row of rank " + q + ": " + g);
            // reduce-scatter of [n·2, 2]: entry (i, j) = rank + i·10 + j; the sum of rank r's rows is (n(n−1)/2) + n·(i·10+j)
            INDArray full = Nd4j.create(DataType.FLOAT, 2L * n, 2);
            for (int i = 0; i < 2 * n; i++) for (int j = 0; j < 2; j++) full.putScalar(i, j, r + i * 10 + j);
            INDArray mine = c.reduceScatterSum(full);
            for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) {
                double want = n * (n - 1) / 2.0 + n * ((2 * r + i) * 10 + j);
                expect(mine.getDouble(i, j) == want, "reduce-scatter (" + i + "," + j + ") = " + mine.getDouble(i, j) + ", want " + want);
            }
            // broadcast of longs from the last rank
            INDArray b = Nd4j.createFromArray(new long[]{r, 7, 11, 13});
            c.broadcast(b, n - 1);
            expect(b.getLong(0) == n - 1 && b.getLong(3) == 13, "broadcast " + b);
            expect(c.allReduceMax(r * 5L) == (n - 1) * 5L, "max");
        }
        System.out.println("OK " + r + " bytes " + c.payloadBytes());
    }

    private static void fail(MpiCollectives c) {
        if (c.rank() == 1) throw new IllegalStateException("rank 1 cannot go on");
        c.allReduceSum(Nd4j.ones(DataType.FLOAT, 4)); // never completes: rank 1 is gone
        System.out.println("UNEXPECTED " + c.rank());
    }

    private static void train(MpiCollectives c, String model, int accumFreq, Path out) {
        Trainer.Builder b = DataParallelTrainingTest.base(model.equals("RESNET") ? DataParallelTrainingTest.resnet()
                : DataParallelTrainingTest.vit());
        b = DataParallelTrainingTest.evalBatchNorm(b).accumFreq(accumFreq).collectives(c);
        try (ClipModel m = b.build().run().model()) {
            if (c.rank() == 0) m.save(out);
        }
        System.out.println("TRAINED " + c.rank());
    }
}
