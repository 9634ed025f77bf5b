package org.clip4j.cli;

import org.clip4j.core.io.IoErrors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Checks on a command's outputs before any work: an output must not be one of the inputs (a model, an image,
 * a manifest; symbolic links resolved), and an output folder must be writable, so that a long evaluation does
 * not end in "cannot write".
 */
final class OutputGuard {
    private OutputGuard() {
    }

    /**
     * Throws an {@link IllegalArgumentException} when {@code out} (given as {@code outOption}) is the same file as
     * one of {@code inputs} (option name → path; null paths ignored), or lies inside an input that is a folder
     * and exists (it would replace a file of that folder).
     */
    static void notAnInput(String outOption, Path out, Map<String, ? extends Iterable<Path>> inputs) {
        if (out == null) return;
        Path o = canonical(out);
        for (Map.Entry<String, ? extends Iterable<Path>> e : inputs.entrySet()) {
            if (e.getValue() == null) continue;
            for (Path in : e.getValue()) {
                if (in == null || !Files.exists(in)) continue;
                Path i = canonical(in);
                if (o.equals(i)) {
                    throw new IllegalArgumentException(outOption + " " + out + " is the input " + e.getKey() + " " + in
                            + "; writing it would destroy the input: choose another output");
                }
                if (Files.isDirectory(i) && o.startsWith(i) && Files.exists(out)) {
                    throw new IllegalArgumentException(outOption + " " + out + " would replace a file of the input "
                            + e.getKey() + " " + in + ": choose another output");
                }
            }
        }
    }

    /** One input under one option name. */
    static Map<String, Iterable<Path>> input(String option, Path p) {
        return Map.of(option, p == null ? java.util.List.of() : java.util.List.of(p));
    }

    /**
     * Creates folder {@code dir} if needed and checks that a file can be created in it (a probe file, removed at
     * once); throws an {@link IllegalArgumentException} naming the option, folder and reason otherwise.
     */
    static void writableFolder(String option, Path dir) {
        if (dir == null) return;
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".clip4j-write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + dir + ": cannot write there: " + IoErrors.reason(e));
        }
    }

    /** The folder of output file {@code file} must be writable (see {@link #writableFolder}). */
    static void writableFileFolder(String option, Path file) {
        Path parent = file.toAbsolutePath().getParent();
        if (Files.isDirectory(file)) throw new IllegalArgumentException(option + " " + file + ": is a folder, expected a file name");
        try {
            if (parent != null) Files.createDirectories(parent);
            Path probe = Files.createTempFile(parent, ".clip4j-write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + file + ": cannot write there: " + IoErrors.reason(e));
        }
    }

    /** The real path of an existing file (links resolved), else the real path of its nearest existing ancestor plus the rest. */
    static Path canonical(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) existing = existing.getParent();
        if (existing == null) return abs;
        try {
            return existing.toRealPath().resolve(existing.relativize(abs));
        } catch (IOException e) {
            return abs;
        }
    }
}
