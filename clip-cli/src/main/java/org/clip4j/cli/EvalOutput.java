package org.clip4j.cli;

import org.clip4j.eval.ClassificationReport;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * {@code --out DIR} of the {@code clip eval} commands: the folder that gets {@code results.json},
 * {@code results.md} and, for classification, {@code confusion.png} and {@code per_class.png}
 * ({@link EvalReport}). Optional: the results always go to standard output.
 */
final class EvalOutput {
    @Option(names = "--out", paramLabel = "DIR",
            description = "Also write results.json, results.md and (classification) confusion.png and per_class.png here.")
    private Path dir;

    /** The folder, if {@code --out} was given. */
    Optional<Path> dir() {
        return Optional.ofNullable(dir);
    }

    /**
     * Checks, before any evaluation, that the folder is none of {@code inputs} (option name to paths) and can be
     * written, creating it; an {@link IllegalArgumentException} names {@code --out}, the folder and the reason.
     */
    void check(Map<String, ? extends Iterable<Path>> inputs) {
        OutputGuard.notAnInput("--out", dir, inputs);
        OutputGuard.writableFolder("--out", dir); // before the evaluation, not after it
    }

    /** Writes the report files when {@code --out} was given (see {@link EvalReport#write}); {@code report} may be null. */
    void write(String title, Map<String, Object> results, ClassificationReport report) throws IOException {
        if (dir != null) EvalReport.write(dir, title, results, report);
    }
}
