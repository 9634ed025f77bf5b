package org.clip4j.cli;

import org.clip4j.core.ClipException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The training library names its settings by API field ({@code TrainConfig.batchSize 0: expected an integer >= 1},
 * {@code AdamWConfig.lr NaN: ...}); {@code clip train} reports them under its option names
 * ({@code --batch-size 0: ...}). This is the one table from field to option.
 */
final class TrainOptionNames {
    private static final Map<String, String> OPTION = new LinkedHashMap<>();

    static {
        String[][] table = {
                {"TrainConfig.model", "--model"}, {"TrainConfig.init", "--init"}, {"TrainConfig.data", "--data"},
                {"TrainConfig.valData", "--val-data"}, {"TrainConfig.batchSize", "--batch-size"},
                {"TrainConfig.accumFreq", "--accum-freq"}, {"TrainConfig.steps", "--steps"}, {"TrainConfig.epochs", "--epochs"},
                {"TrainConfig.optimizer", "--optimizer"}, {"TrainConfig.schedule", "--lr-scheduler"},
                {"AdamWConfig.lr", "--lr"}, {"SgdConfig.lr", "--lr"}, {"AdamWConfig.weightDecay", "--wd"},
                {"SgdConfig.weightDecay", "--wd"}, {"LrSchedule.warmup", "--warmup"}, {"TrainConfig.gradClip", "--grad-clip"},
                {"TrainConfig.precision", "--precision"}, {"TrainConfig.seed", "--seed"},
                {"TrainConfig.datasetResampled", "--dataset-resampled"}, {"TrainConfig.activationRecompute", "--grad-checkpointing"},
                {"TrainConfig.checkpointDir", "--checkpoint-dir"}, {"TrainConfig.checkpointEvery", "--checkpoint-every"},
                {"TrainConfig.keepLast", "--keep-last"}, {"TrainConfig.resume", "--resume"}, {"TrainConfig.overwrite", "--overwrite"},
                {"TrainConfig.maxConsecutiveBadSamples", "--max-consecutive-bad-samples"},
                {"TrainConfig.valEvery", "--val-every"}, {"TrainConfig.valSamples", "--val-samples"},
                {"TrainConfig.dataThreads", "--data-threads"}, {"TowerLock.image", "--lock-image"},
                {"TowerLock.unlockedGroups", "--lock-image-unlocked-groups"},
                {"TowerLock.freezeBnStats", "--lock-image-freeze-bn-stats"}, {"TowerLock.text", "--lock-text"},
                {"TowerLock.unlockedLayers", "--lock-text-unlocked-layers"}};
        for (String[] row : table) OPTION.put(row[0], row[1]);
    }

    /** A field name: {@code Type.field}, not followed by more of an identifier. */
    private static final Pattern FIELD = Pattern.compile("\\b(TrainConfig|AdamWConfig|SgdConfig|LrSchedule|TowerLock)\\.([A-Za-z]+)\\b");

    private TrainOptionNames() {
    }

    /** {@code message} with every known field name replaced by its option; other text unchanged. */
    static String toOptions(String message) {
        if (message == null) return null;
        Matcher m = FIELD.matcher(message);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String option = OPTION.get(m.group());
            m.appendReplacement(out, Matcher.quoteReplacement(option != null ? option : m.group()));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Runs {@code action}; its configuration and training errors are rethrown in option names. */
    static <T> T cli(Supplier<T> action) {
        try {
            return action.get();
        } catch (IllegalArgumentException e) {
            String msg = toOptions(e.getMessage());
            if (msg == null || msg.equals(e.getMessage())) throw e;
            throw new IllegalArgumentException(msg, e);
        } catch (ClipException e) {
            String msg = toOptions(e.getMessage());
            if (msg == null || msg.equals(e.getMessage())) throw e;
            throw new ClipException(msg, e);
        }
    }
}
