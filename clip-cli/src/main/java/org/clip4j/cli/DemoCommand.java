package org.clip4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code clip demo}: the main job on embedded data, no download. Trains the {@code clip4j-tiny} model from
 * scratch on the synthetic shapes with the recipe below, then reports zero-shot accuracy (seen and held-out
 * colour-shape combinations) and image↔text retrieval recall on fresh renderings, and writes the loss curve
 * and the confusion matrix as PNG. It is exactly {@code clip train} with these options, printed at the start.
 * Without augmentation: every synthetic sample is already a fresh random rendering, and random crops would only
 * blur the position words of the captions (measured: 98.3 % / 84.4 % held-out with crops, 99.2 % / 94.4 %
 * without, and 23 % slower).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Trains a tiny CLIP from scratch on the embedded synthetic shapes (a few minutes on a",
                "laptop CPU), then prints zero-shot accuracy and retrieval recall and writes loss.png and",
                "confusion.png. Equivalent to the 'clip train' command it prints first."})
final class DemoCommand implements Callable<Integer> {
    /** The recipe: steps, batch and learning rate chosen so that zero-shot top-1 passes 90 % (docs/training.md). */
    static final int STEPS = 1500, BATCH = 64, WARMUP = 100;
    static final String LR = "2e-3";

    @Option(names = "--out-dir", paramLabel = "DIR", defaultValue = "clip-demo",
            description = "Checkpoints, metrics.jsonl, loss.png and confusion.png go here (default: ${DEFAULT-VALUE}).")
    Path outDir;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "" + STEPS,
            description = "Optimiser steps (default ${DEFAULT-VALUE}; fewer for a quick look, lower accuracy).")
    long steps;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--ui", description = "Serve a live dashboard of the run while it trains (as 'clip train --ui').")
    boolean ui;

    @CommandLine.Mixin
    UiOptions uiOptions = new UiOptions();

    @Override
    public Integer call() {
        List<String> args = new ArrayList<>(List.of("--model", "clip4j-tiny", "--data", "synthetic",
                "--val-data", "synthetic", "--val-samples", "1000", "--no-augment",
                "--batch-size", Integer.toString(BATCH), "--lr", LR, "--warmup", Integer.toString(WARMUP),
                "--steps", Long.toString(steps), "--seed", Long.toString(seed),
                "--checkpoint-dir", outDir.toString(), "--checkpoint-every", Long.toString(Math.max(1, steps / 4)),
                "--keep-last", "1"));
        if (holdsEarlierDemo(outDir)) args.add("--overwrite"); // the demo again in its folder replaces the last one
        if (ui) {
            args.addAll(List.of("--ui", "--ui-port", Integer.toString(uiOptions.port()), "--ui-host", uiOptions.host()));
        }
        System.out.println("clip demo = clip train " + String.join(" ", args));

        TrainCommand train = new TrainCommand();
        new CommandLine(train).parseArgs(args.toArray(String[]::new));
        return train.call();
    }

    /**
     * True when {@code dir}'s newest checkpoint is a run on the synthetic shapes (an earlier demo), which a new
     * demo may replace; any other run's checkpoints are refused as by {@code clip train}.
     */
    static boolean holdsEarlierDemo(Path dir) {
        var latest = new org.clip4j.train.CheckpointStore(dir, 1).latest();
        if (latest.isEmpty()) return false;
        try {
            var provenance = org.clip4j.train.CheckpointStore.readState(latest.get()).provenance();
            return provenance != null && provenance.data().startsWith("synthetic shapes");
        } catch (RuntimeException e) {
            return false;
        }
    }
}
