package org.clip4j.cli;

import org.clip4j.cli.ui.Dashboard;
import org.clip4j.core.ClipException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code clip ui}: the training dashboard of finished or running runs, until interrupted. */
@Command(name = "ui", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serves a live dashboard of training runs ('clip train --checkpoint-dir' folders):",
                "loss, learning rate, 1/T, throughput, validation recall, memory, config.",
                "Follows metrics.jsonl as it grows; several runs are overlaid. Ctrl-C stops it."})
final class UiCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", arity = "1..*", description = "Run folders (each with a metrics.jsonl).")
    List<Path> runs;

    @Mixin
    UiOptions ui;

    @Override
    public Integer call() throws InterruptedException {
        for (Path p : runs) check(p);
        Dashboard d = ui.start(runs, System.out, System.err);
        Runtime.getRuntime().addShutdownHook(new Thread(d::close));
        System.out.println("following " + runs.size() + (runs.size() == 1 ? " run" : " runs") + "; Ctrl-C stops");
        Thread.currentThread().join(); // serve until the process is interrupted
        return 0;
    }

    /**
     * A run folder must exist and hold {@code metrics.jsonl}; an empty folder is a run that is starting and is
     * waited for.
     */
    static void check(Path p) {
        if (!Files.isDirectory(p)) {
            throw new ClipException(p + ": no such folder (expected a 'clip train --checkpoint-dir' folder with metrics.jsonl)");
        }
        if (Files.isRegularFile(p.resolve("metrics.jsonl"))) return;
        boolean empty;
        try (Stream<Path> s = Files.list(p)) {
            empty = s.findAny().isEmpty();
        } catch (IOException e) {
            throw new ClipException(p + ": cannot list the folder: " + e.getMessage());
        }
        if (!empty) {
            throw new ClipException(p + ": no metrics.jsonl (expected a 'clip train --checkpoint-dir' folder)");
        }
        System.err.println("clip: warning: " + p + " is empty: waiting for a run to write metrics.jsonl there");
    }
}
