package org.clip4j.train;

import org.clip4j.train.optim.LrSchedule;
import org.clip4j.train.optim.AdamWConfig;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.clip4j.core.ClipException;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.encoders.ClipModel;
import org.clip4j.train.data.SyntheticShapes;
import org.clip4j.train.data.SyntheticSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TrainerTest {
    @TempDir
    Path tmp;

    static ClipConfig tiny() {
        return ClipConfig.fromJson("{\"embed_dim\":16,\"quick_gelu\":true,"
                + "\"vision_cfg\":{\"image_size\":32,\"layers\":1,\"width\":32,\"patch_size\":8,\"head_width\":16},"
                + "\"text_cfg\":{\"context_length\":16,\"vocab_size\":49408,\"width\":32,\"heads\":2,\"layers\":1}}");
    }

    private Trainer.Builder base(Path dir) {
        return Trainer.builder().model(tiny()).data(new SyntheticSource(SyntheticShapes.training(3, 32), 40))
                .batchSize(8).accumFreq(2).steps(6).optimizer(AdamWConfig.of(1e-3, 0.2)).schedule(LrSchedule.cosine(2)).seed(11).dataThreads(2)
                .checkpointDir(dir).checkpointEvery(2).keepLast(2);
    }

    static List<Double> losses(Path metrics) throws IOException {
        List<Double> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(metrics)) {
            JsonNode n = json.readTree(line);
            if (n.has("loss")) out.add(n.get("loss").asDouble());
        }
        return out;
    }

    @Test
    void resumedRunEqualsUninterruptedRunStepForStep() throws IOException {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        try (ClipModel m = base(a).build().run().model()) {
            assertTrue(m.logitScale().value().getDouble(0) <= Math.log(100));
        }
        List<Double> full = losses(a.resolve("metrics.jsonl"));
        assertEquals(6, full.size());
        assertTrue(full.stream().allMatch(Double::isFinite));

        // crash after step 3 (the last checkpoint is step 2), then resume from the latest checkpoint
        class Crash extends RuntimeException {
        }
        Trainer crashing = base(b).listener(new TrainingListener() {
            @Override
            public void onStep(StepMetrics m) {
                if (m.step() == 3) throw new Crash();
            }
        }).build();
        assertThrows(Crash.class, crashing::run);
        CheckpointStore store = new CheckpointStore(b, 2);
        assertEquals(2, CheckpointStore.stepOf(store.latest().orElseThrow()));
        try (ClipModel m = base(b).resume("latest").build().run().model()) {
            assertNotNull(m);
        }
        List<Double> resumed = losses(b.resolve("metrics.jsonl"));
        // metrics.jsonl: steps 1..3 of the crashed run, then 3..6 of the resumed one
        assertEquals(7, resumed.size());
        assertEquals(full.subList(0, 3), resumed.subList(0, 3));
        assertEquals(full.subList(2, 6), resumed.subList(3, 7), "resumed losses must equal the uninterrupted run's");

        // keep-last 2, and the final weights load with ClipModel.load (what clip embed reads)
        assertEquals(List.of(4L, 6L), store.list().stream().map(CheckpointStore::stepOf).toList());
        TrainingState s = CheckpointStore.readState(store.latest().get());
        assertEquals(6, s.step());
        assertEquals(48, s.samplesSeen());
        assertEquals(11, s.seed());
        assertEquals(tiny(), s.config());
        assertEquals(8, s.provenance().globalBatch());
        try (ClipModel m = ClipModel.load(store.latest().get().resolve("model.safetensors"))) {
            assertEquals(16, m.config().embedDim());
        }
    }

    @Test
    void reloadingPixelsForTheSecondPassGivesTheSameRun() throws IOException {
        Path a = tmp.resolve("kept"), b = tmp.resolve("reloaded");
        try (ClipModel m = base(a).steps(3).build().run().model()) {
            assertNotNull(m);
        }
        try (ClipModel m = base(b).steps(3).pixelBudget(0).build().run().model()) {
            assertNotNull(m);
        }
        assertEquals(losses(a.resolve("metrics.jsonl")), losses(b.resolve("metrics.jsonl")));
    }

    @Test
    void nonFiniteStepsAreSkippedThenStopTheRunKeepingTheLastCheckpoint() {
        Path dir = tmp.resolve("nan");
        ClipModel[] model = new ClipModel[1];
        Trainer t = base(dir).steps(20).checkpointEvery(1).maxBadSteps(3).listener(new TrainingListener() {
            @Override
            public void onStart(ClipModel m) {
                model[0] = m;
            }

            @Override
            public void onCheckpoint(long step, Path folder) {
                // after the step-2 checkpoint, make every later forward pass produce NaN
                if (step == 2) param(model[0], "text_projection").value().assign(Double.NaN);
            }
        }).build();
        ClipException e = assertThrows(ClipException.class, t::run);
        assertTrue(e.getMessage().contains("3 consecutive non-finite steps"), e.getMessage());
        assertTrue(e.getMessage().contains("step-00000002"), e.getMessage());
        CheckpointStore store = new CheckpointStore(dir, 3);
        Path last = store.latest().orElseThrow();
        assertEquals(2, CheckpointStore.stepOf(last));
        try (ClipModel m = ClipModel.load(last.resolve("model.safetensors"))) {
            assertFalse(param(m, "text_projection").value().isNaN().any(), "the last checkpoint holds good weights");
        }
    }

    private static org.clip4j.core.nn.Parameter param(ClipModel m, String name) {
        return m.parameters().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }
}
