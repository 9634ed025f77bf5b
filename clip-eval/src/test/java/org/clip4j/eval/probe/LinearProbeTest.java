package org.clip4j.eval.probe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The whole protocol against the same search run with scikit-learn (testdata/linear-probe/sklearn.json "sweep"). */
class LinearProbeTest {
    @Test
    void sweepRefitAndTestScoreAgreeWithScikitLearn() throws IOException {
        JsonNode ref = new ObjectMapper().readTree(LogisticRegressionTest.DIR.resolve("sklearn.json").toFile()).get("sweep");
        FeatureSet train = FeatureSet.load(LogisticRegressionTest.DIR.resolve("train.safetensors"));
        FeatureSet val = FeatureSet.load(LogisticRegressionTest.DIR.resolve("val.safetensors"));
        FeatureSet test = FeatureSet.load(LogisticRegressionTest.DIR.resolve("test.safetensors"));
        List<String> lines = new ArrayList<>();
        LinearProbe.Result r = new LinearProbe().run(train, val, test, null, null, lines::add);

        JsonNode ev = ref.get("evaluated");
        assertEquals(ev.size(), r.sweep().evaluated().size(), lines.toString());
        for (int i = 0; i < ev.size(); i++) {
            RegularizationSweep.Point p = r.sweep().evaluated().get(i);
            assertEquals(ev.get(i).get(0).asDouble(), p.log10C(), 0.0, "point " + i);
            assertEquals(ev.get(i).get(1).asDouble(), p.score(), 1e-12, "validation accuracy at 10^" + p.log10C());
        }
        assertEquals(ref.get("best_log10_C").asDouble(), r.sweep().best().log10C(), 0.0);
        assertEquals(train.n() + val.n(), r.fitRows());
        double want = ref.get("train_objective").asDouble();
        assertEquals(want, r.trainObjective(), 1e-4 * want);
        assertEquals(ref.get("test_accuracy").asDouble(), r.test().top1(), 1e-12);
        assertEquals(ev.size() + 1, lines.size());
    }

    @Test
    void fixedCFitsTheTrainingSetOnly() throws IOException {
        JsonNode fit = new ObjectMapper().readTree(LogisticRegressionTest.DIR.resolve("sklearn.json").toFile()).get("fits").get(2);
        FeatureSet train = FeatureSet.load(LogisticRegressionTest.DIR.resolve("train.safetensors"));
        FeatureSet test = FeatureSet.load(LogisticRegressionTest.DIR.resolve("test.safetensors"));
        LinearProbe.Result r = new LinearProbe().run(train, null, test, fit.get("C").asDouble(), null, null);
        assertNull(r.sweep());
        assertEquals(train.n(), r.fitRows());
        assertEquals(fit.get("train_objective").asDouble(), r.trainObjective(), 1e-4 * fit.get("train_objective").asDouble());
        assertEquals(fit.get("test_accuracy").asDouble(), r.test().top1(), 1e-12);
        assertEquals(fit.get("train_accuracy").asDouble(), r.trainAccuracy(), 1e-12);
        int total = 0;
        for (int[] row : r.test().confusion()) for (int v : row) total += v;
        assertEquals(test.n(), total);
    }

    @Test
    void stratifiedSplitHoldsOutAFifthOfEachClass() {
        int[] labels = new int[50];
        for (int i = 0; i < 50; i++) labels[i] = i < 40 ? 0 : 1;   // 40 of class 0, 10 of class 1
        int[][] parts = LinearProbe.stratifiedSplit(labels, 0.2, 0);
        assertEquals(40, parts[0].length);
        assertEquals(10, parts[1].length);
        long heldOne = java.util.Arrays.stream(parts[1]).filter(i -> labels[i] == 1).count();
        assertEquals(2, heldOne);
        assertArrayEquals(parts[1], LinearProbe.stratifiedSplit(labels, 0.2, 0)[1], "deterministic");
    }
}
