package org.clip4j.train;

import org.clip4j.train.optim.LrSchedule;
import org.clip4j.train.optim.AdamWConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Precision;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.encoders.ClipModel;
import org.clip4j.train.data.SyntheticShapes;
import org.clip4j.train.data.SyntheticSource;
import org.clip4j.train.optim.LossScaler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Trainer runs in bf16 and fp16: loss scaling on overflow, exact resume with the scaler, loss curves like fp32's. */
class MixedPrecisionTrainingTest {
    @TempDir
    Path tmp;

    private Trainer.Builder base(Path dir) {
        return Trainer.builder().model(TrainerTest.tiny()).data(new SyntheticSource(SyntheticShapes.training(3, 32), 40))
                .batchSize(8).accumFreq(2).steps(6).optimizer(AdamWConfig.of(1e-3, 0.2)).schedule(LrSchedule.cosine(2)).seed(11).dataThreads(2)
                .checkpointDir(dir).checkpointEvery(2).keepLast(2);
    }

    /** metrics.jsonl rows: (skipped ? 1 : 0, loss_scale). */
    private static List<double[]> scaleRows(Path metrics) throws IOException {
        List<double[]> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(metrics)) {
            JsonNode n = json.readTree(line);
            if (n.has("loss")) {
                assertTrue(n.has("loss_scale"), "fp16 rows report the loss scale: " + line);
                out.add(new double[] {n.path("skipped_step").asBoolean() ? 1 : 0, n.get("loss_scale").asDouble()});
            }
        }
        return out;
    }

    private static Map<String, INDArray> values(ClipModel m) {
        Map<String, INDArray> v = new LinkedHashMap<>();
        for (Parameter p : m.parameters()) v.put(p.name(), p.value().dup());
        return v;
    }

    @Test
    void fp16OverflowSkipsTheStepHalvesTheScaleAndCleanStepsGrowIt() throws IOException {
        Path dir = tmp.resolve("fp16");
        double initial = 1 << 20; // loss gradients × 2²⁰ exceed fp16's 65,504: the first steps overflow
        ClipModel[] model = new ClipModel[1];
        List<Map<String, INDArray>> snapshot = new ArrayList<>();
        int[] checked = new int[2]; // skipped steps with identical weights, clean steps with changed weights
        Trainer t = base(dir).accumFreq(1).steps(8).checkpointEvery(100).maxBadSteps(30).precision(Precision.FP16)
                .lossScaler(LossScaler.builder().initialScale(initial).growthInterval(2))
                .listener(new TrainingListener() {
                    @Override
                    public void onStart(ClipModel m) {
                        model[0] = m;
                        snapshot.add(values(m));
                    }

                    @Override
                    public void onStep(StepMetrics s) {
                        Map<String, INDArray> before = snapshot.remove(0), now = values(model[0]);
                        boolean same = before.keySet().stream().allMatch(k -> before.get(k).equals(now.get(k)));
                        assertEquals(s.skippedStep(), same, "step " + s.step() + ": weights change iff the step is not skipped");
                        checked[s.skippedStep() ? 0 : 1]++;
                        before.values().forEach(INDArray::close);
                        snapshot.add(now);
                    }
                }).build();
        try (ClipModel m = t.run().model()) {
            assertNotNull(m);
        }
        snapshot.forEach(s -> s.values().forEach(INDArray::close));
        assertTrue(checked[0] >= 1 && checked[1] >= 3, "skipped " + checked[0] + ", clean " + checked[1]);

        // The scale follows GradScaler's rule step by step: ×0.5 on overflow, ×2 after 2 clean steps in a row.
        List<double[]> rows = scaleRows(dir.resolve("metrics.jsonl"));
        assertEquals(8, rows.size());
        double scale = initial;
        int clean = 0, grown = 0, skipped = 0;
        for (double[] r : rows) {
            if (r[0] == 1) {
                scale *= 0.5;
                clean = 0;
                skipped++;
            } else if (++clean == 2) {
                scale *= 2;
                clean = 0;
                grown++;
            }
            assertEquals(scale, r[1], 0.0);
        }
        assertEquals(1, rows.get(0)[0], "the first step overflows at 2^20");
        assertTrue(grown >= 1, "the scale grew after clean steps");

        // The optimiser stepped only on clean steps; the checkpoint holds the scaler state and the precision.
        Path last = new CheckpointStore(dir, 2).latest().orElseThrow();
        try (SafetensorsFile f = SafetensorsFile.open(last.resolve("optimizer.safetensors"))) {
            assertEquals(Integer.toString(8 - skipped), f.metadata().get("steps"));
        }
        TrainingState s = CheckpointStore.readState(last);
        assertEquals(new LossScaler.State(scale, clean), s.lossScaler());
        assertTrue(s.provenance().precision().startsWith("fp16 (mixed"), s.provenance().precision());
    }

    @Test
    void fp16RunResumesExactlyWithItsLossScale() throws IOException {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        LossScaler.Builder scaler = LossScaler.builder().initialScale(1 << 17).growthInterval(2);
        try (ClipModel m = base(a).precision(Precision.FP16).lossScaler(scaler).build().run().model()) {
            assertNotNull(m);
        }
        List<Double> full = TrainerTest.losses(a.resolve("metrics.jsonl"));
        List<double[]> fullScales = scaleRows(a.resolve("metrics.jsonl"));

        class Crash extends RuntimeException {
        }
        Trainer crashing = base(b).precision(Precision.FP16).lossScaler(scaler).listener(new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                if (m.step() == 3) throw new Crash();
            }
        }).build();
        assertThrows(Crash.class, crashing::run);
        Path ckpt = new CheckpointStore(b, 2).latest().orElseThrow();
        assertEquals(2, CheckpointStore.stepOf(ckpt));
        assertNotNull(CheckpointStore.readState(ckpt).lossScaler(), "trainer.json keeps the scaler state");
        try (ClipModel m = base(b).precision(Precision.FP16).lossScaler(scaler).resume("latest").build().run().model()) {
            assertNotNull(m);
        }
        List<Double> resumed = TrainerTest.losses(b.resolve("metrics.jsonl"));
        List<double[]> resumedScales = scaleRows(b.resolve("metrics.jsonl"));
        assertEquals(7, resumed.size()); // steps 1..3 of the crashed run, then 3..6 of the resumed one
        assertEquals(full.subList(2, 6), resumed.subList(3, 7), "resumed losses must equal the uninterrupted run's");
        for (int i = 2; i < 6; i++) {
            assertArrayEquals(fullScales.get(i), resumedScales.get(i + 1), 0.0, "loss scale and skip at step " + (i + 1));
        }
    }

    @Test
    void bf16AndFp16TrainingLossFallsLikeFp32() throws IOException {
        Map<Precision, List<Double>> curves = new LinkedHashMap<>();
        for (Precision p : Precision.values()) {
            Path dir = tmp.resolve(p.cliName());
            try (ClipModel m = base(dir).accumFreq(1).steps(8).optimizer(AdamWConfig.of(2e-3, 0.2)).checkpointEvery(100).precision(p).build().run().model()) {
                assertNotNull(m);
            }
            curves.put(p, TrainerTest.losses(dir.resolve("metrics.jsonl")));
        }
        // Tolerances: the gradients of a half run differ from float32's by about 15u relative (bf16: 6 %, fp16: 0.4 %;
        // u = 2⁻⁸ and 2⁻¹¹, see MixedPrecisionModelTest), so each AdamW step moves the weights by nearly the same
        // amount (Adam normalises the gradient; lr 2e-3): after 8 steps the losses agree to far better than the 10 %
        // asked here, which leaves room for the rounding to change which way a step goes; a path that did not train
        // (or trained on garbage products) fails the 0.1 drop or the 10 %.
        double fp32End = tail(curves.get(Precision.FP32));
        for (Map.Entry<Precision, List<Double>> c : curves.entrySet()) {
            List<Double> l = c.getValue();
            assertEquals(8, l.size());
            assertTrue(l.stream().allMatch(Double::isFinite), c.getKey() + ": " + l);
            double start = (l.get(0) + l.get(1) + l.get(2)) / 3, end = tail(l);
            assertTrue(end < start - 0.1, c.getKey() + ": loss does not fall: " + l);
            assertEquals(fp32End, end, 0.1 * fp32End, c.getKey() + " ends at " + end + ", fp32 at " + fp32End + ": " + curves);
        }
        assertNotEquals(curves.get(Precision.FP32), curves.get(Precision.BF16), "bf16 ran in bf16");
        assertNotEquals(curves.get(Precision.FP32), curves.get(Precision.FP16), "fp16 ran in fp16");
    }

    /** Mean of the last three losses. */
    private static double tail(List<Double> l) {
        int n = l.size();
        return (l.get(n - 1) + l.get(n - 2) + l.get(n - 3)) / 3;
    }
}
