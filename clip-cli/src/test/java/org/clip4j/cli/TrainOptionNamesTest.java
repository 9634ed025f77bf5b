package org.clip4j.cli;

import org.clip4j.core.ClipException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The library's field names become clip train's option names in its error messages. */
class TrainOptionNamesTest {
    @Test
    void fieldNamesBecomeOptionNames() {
        assertEquals("--batch-size 6 must be a multiple of --accum-freq 4; --lr NaN: expected a finite number >= 0",
                TrainOptionNames.toOptions("TrainConfig.batchSize 6 must be a multiple of TrainConfig.accumFreq 4;"
                        + " AdamWConfig.lr NaN: expected a finite number >= 0"));
        assertEquals("runs/a holds the checkpoints of another run (step-00000001): continue that run with --resume latest,"
                        + " give another --checkpoint-dir, or start over with --overwrite (deletes them)",
                TrainOptionNames.toOptions("runs/a holds the checkpoints of another run (step-00000001): continue that run with"
                        + " TrainConfig.resume latest, give another TrainConfig.checkpointDir, or start over with"
                        + " TrainConfig.overwrite (deletes them)"));
        assertEquals("--lock-image-unlocked-groups 2: needs --lock-image (the image tower locked)",
                TrainOptionNames.toOptions("TowerLock.unlockedGroups 2: needs TowerLock.image (the image tower locked)"));
        // a field without an option, and a longer identifier that merely starts like a field, stay as they are
        assertEquals("TrainConfig.prefetchBatches 0: expected an integer >= 1; TrainConfig.stepsLeft",
                TrainOptionNames.toOptions("TrainConfig.prefetchBatches 0: expected an integer >= 1; TrainConfig.stepsLeft"));
    }

    @Test
    void errorsKeepTheirTypeAndCause() {
        IllegalArgumentException iae = new IllegalArgumentException("TrainConfig.keepLast 0: expected an integer >= 1");
        IllegalArgumentException mapped = assertThrows(IllegalArgumentException.class, () -> TrainOptionNames.cli(() -> {
            throw iae;
        }));
        assertEquals("--keep-last 0: expected an integer >= 1", mapped.getMessage());
        assertSame(iae, mapped.getCause());
        ClipException unrelated = new ClipException("data.csv: line 3 is not valid UTF-8");
        assertSame(unrelated, assertThrows(ClipException.class, () -> TrainOptionNames.cli(() -> {
            throw unrelated;
        })), "a message without field names is rethrown as it is");
    }
}
