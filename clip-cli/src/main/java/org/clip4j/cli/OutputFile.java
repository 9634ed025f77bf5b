package org.clip4j.cli;

import org.clip4j.core.safetensors.SafetensorsWriter;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** {@code --out FILE.safetensors} (required) of {@code embed} and {@code preprocess}: one tensor file, written atomically. */
final class OutputFile {
    @Option(names = "--out", paramLabel = "FILE.safetensors", required = true, description = "Output file (written atomically).")
    private Path path;

    /** The output file as given. */
    Path path() {
        return path;
    }

    /**
     * Checks, before any work, that the file is none of {@code inputs} (option name to paths), is not a folder and
     * can be created in its folder; an {@link IllegalArgumentException} names {@code --out}, the file and the reason.
     */
    void check(Map<String, ? extends Iterable<Path>> inputs) {
        OutputGuard.notAnInput("--out", path, inputs);
        OutputGuard.writableFileFolder("--out", path);
    }

    /** Writes {@code tensors} to the file (atomically: see {@link SafetensorsWriter#write}). */
    void write(SafetensorsWriter tensors) throws IOException {
        tensors.write(path);
    }
}
