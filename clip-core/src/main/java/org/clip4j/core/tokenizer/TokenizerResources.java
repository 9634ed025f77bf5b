package org.clip4j.core.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reads the text data files bundled next to this package's classes. */
final class TokenizerResources {
    private TokenizerResources() {
    }

    /**
     * Returns the lines of a bundled text resource, without comment lines (starting with {@code #}) and blank
     * lines.
     *
     * @param name file name inside {@code org/clip4j/core/tokenizer/}
     * @throws IllegalStateException if the resource is missing from the class path (a broken build)
     */
    static List<String> dataLines(String name) {
        try (InputStream in = TokenizerResources.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("bundled tokenizer resource missing from the class path: " + name);
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            List<String> lines = new ArrayList<>();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isEmpty() && line.charAt(0) != '#') {
                    lines.add(line);
                }
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read bundled tokenizer resource " + name, e);
        }
    }
}
