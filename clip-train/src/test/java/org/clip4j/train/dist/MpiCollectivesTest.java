package org.clip4j.train.dist;

import org.clip4j.core.nn.Parameter;
import org.clip4j.encoders.ClipModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link MpiCollectives} in real processes under {@code mpirun} (skipped without Open MPI): the collectives with
 * and without splitting, and five training steps on 2 and 3 ranks equal to one process (tolerance as in
 * {@link DataParallelTrainingTest}: the same arithmetic, only the reduction order of MPI's sums differs).
 */
class MpiCollectivesTest {
    @TempDir
    Path tmp;

    @Test
    void collectivesOnTwoAndThreeProcesses() throws Exception {
        for (int n : new int[]{2, 3}) {
            MpiLauncher.Result r = MpiLauncher.run(MpiLauncher.command(n, MpiProbe.class.getName(), List.of("ops")), 300);
            assertEquals(0, r.exitCode(), r.output());
            for (int rank = 0; rank < n; rank++) assertTrue(r.output().contains("OK " + rank + " "), r.output());
        }
    }

    @Test
    void anExceptionOnOneRankAbortsTheWholeJob() throws Exception {
        // Rank 1 throws and calls MPI_Abort while ranks 0 and 2 wait in an all-reduce: mpirun must end them.
        MpiLauncher.Result r = MpiLauncher.run(MpiLauncher.command(3, MpiProbe.class.getName(), List.of("fail")), 300);
        assertNotEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("rank 1 cannot go on"), r.output());
        assertFalse(r.output().contains("UNEXPECTED"), r.output());
    }

    private void trainAndCompare(String model, int ranks, int accumFreq) throws Exception {
        Path out = tmp.resolve(model + ranks + accumFreq + ".safetensors");
        MpiLauncher.Result r = MpiLauncher.run(MpiLauncher.command(ranks, MpiProbe.class.getName(),
                List.of("train", model, Integer.toString(accumFreq), out.toString())), 600);
        assertEquals(0, r.exitCode(), r.output());
        Map<String, float[]> want;
        var cfg = model.equals("RESNET") ? DataParallelTrainingTest.resnet() : DataParallelTrainingTest.vit();
        try (ClipModel m = DataParallelTrainingTest.evalBatchNorm(DataParallelTrainingTest.base(cfg)).accumFreq(accumFreq)
                .build().run().model()) {
            want = Ranks.weights(m);
        }
        Map<String, float[]> got = new LinkedHashMap<>();
        try (ClipModel m = ClipModel.load(out)) {
            for (Parameter p : m.parameters()) got.put(p.name(), p.value().dup().data().asFloat());
        }
        Ranks.assertClose(want, got, 1e-5, model + " on " + ranks + " MPI ranks, accum-freq " + accumFreq);
    }

    @Test
    void vitOnTwoAndThreeProcessesEqualsOneProcess() throws Exception {
        trainAndCompare("VIT", 2, 1);
        trainAndCompare("VIT", 3, 2);
    }

    @Test
    void resnetOnTwoProcessesEqualsOneProcess() throws Exception {
        trainAndCompare("RESNET", 2, 2);
    }
}
