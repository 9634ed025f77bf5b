package org.clip4j.train;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.encoders.ClipModel;
import org.clip4j.train.data.SyntheticShapes;
import org.clip4j.train.data.SyntheticSource;
import org.clip4j.train.optim.AdamWConfig;
import org.clip4j.train.optim.LrSchedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The complete run of the Trainer and TrainConfig Javadoc, as written there but 3 steps long and in a temporary folder. */
class TrainerExampleTest {
    @TempDir
    Path tmp;

    @Test
    void theJavadocRunRuns() {
        Path runs = tmp.resolve("runs/tiny"), saved = tmp.resolve("tiny.safetensors");
        // --- as in the Javadoc (steps 1500 → 3, paths under tmp) ---
        Trainer trainer = Trainer.builder()
                .model(ClipConfig.builtin("clip4j-tiny"))
                .data(new SyntheticSource(SyntheticShapes.training(0, 32), 50_000))
                .optimizer(AdamWConfig.of(2e-3, 0.2))
                .schedule(LrSchedule.cosine(100))
                .batchSize(64).steps(3).seed(0)
                .checkpointDir(runs)
                .build();
        TrainConfig config = trainer.config();
        Trainer.TrainResult r = trainer.run();
        try (ClipModel model = r.model()) {
            model.save(saved);
        }
        // ---
        assertEquals(3, r.state().step());
        assertTrue(Double.isFinite(r.state().lastLoss()));
        assertEquals(64, config.batchSize());
        try (ClipModel back = ClipModel.load(saved)) {
            assertEquals("clip4j-tiny", back.provenance().orElseThrow().model());
            assertEquals(3, back.provenance().orElseThrow().steps());
        }
        assertEquals(runs.resolve("step-00000003"), r.lastCheckpoint());
    }
}
