package org.clip4j.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the command line in-process with captured standard output and error. */
final class CliRun implements AutoCloseable {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    private final PrintStream oldOut = System.out, oldErr = System.err;
    private final InputStream oldIn = System.in;
    final int exit;

    private CliRun(String... args) {
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        System.setIn(new ByteArrayInputStream(new byte[0]));
        try {
            exit = ClipCommand.execute(args);
        } finally {
            close();
        }
    }

    static CliRun of(String... args) {
        return new CliRun(args);
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Standard error without log lines (slf4j-simple "LEVEL Logger - message", ND4J's build banner). */
    String err() {
        return err.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> !l.matches("(\\[main\\] )?(TRACE|DEBUG|INFO|WARN) \\S+ - .*")
                        && !l.startsWith(" ") && !l.matches("[A-Z_]+(:.*)?|STD version.*"))
                .reduce("", (a, b) -> a.isEmpty() ? b : a + "\n" + b);
    }

    /** Everything written to standard error, log lines included. */
    String rawErr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        System.setOut(oldOut);
        System.setErr(oldErr);
        System.setIn(oldIn);
    }
}
