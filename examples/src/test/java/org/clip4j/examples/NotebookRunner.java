package org.clip4j.examples;

import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;
import jdk.jshell.VarSnippet;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs a JShell notebook ({@code *.jsh}) in this JVM through the {@code jdk.jshell} API, the way the
 * {@code jshell} tool runs a script: lines are read one at a time and a snippet is evaluated as soon as it is
 * complete (so a chain continued on the next line with a leading dot breaks here as it does in the tool). Lines
 * starting with {@code /} between snippets are jshell commands; only {@code /exit} is accepted. A rejected snippet
 * or a snippet that throws fails the run with its diagnostics or exception.
 */
final class NotebookRunner {
    /** What a notebook printed (stdout and stderr interleaved) and its top-level variables' values. */
    record Result(String output, Map<String, String> variables) {
        /** The value of variable {@code name} as jshell shows it (strings in quotes). */
        String variable(String name) {
            String v = variables.get(name);
            if (v == null) throw new AssertionError("the notebook defines no variable '" + name + "'; it has " + variables.keySet());
            return v;
        }

        double doubleVariable(String name) {
            return Double.parseDouble(variable(name));
        }
    }

    private NotebookRunner() {
    }

    /** Runs {@code notebook} with the class path of this JVM; the notebook's output is also echoed to stdout. */
    static Result run(Path notebook) throws IOException {
        String name = notebook.getFileName().toString();
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream oldOut = System.out, oldErr = System.err;
        // "local" execution runs snippets in this JVM, where System.out is global: tee it (slf4j-simple logs to
        // System.err as it is at each call, so its lines are captured too).
        PrintStream tee = new PrintStream(new Tee(captured, oldOut), true, StandardCharsets.UTF_8);
        System.setOut(tee);
        System.setErr(tee);
        try (JShell shell = JShell.builder().executionEngine("local").out(tee).err(tee).build()) {
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                if (!entry.isEmpty()) shell.addToClasspath(entry);
            }
            SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
            List<String> lines = Files.readAllLines(notebook, StandardCharsets.UTF_8);
            StringBuilder pending = new StringBuilder();
            int snippetStart = 1;
            boolean exited = false;
            for (int i = 0; i < lines.size() && !exited; i++) {
                String line = lines.get(i);
                if (pending.toString().isBlank() && isCommand(line)) {
                    if (!line.strip().equals("/exit")) {
                        throw new AssertionError(name + ":" + (i + 1) + ": unsupported jshell command '" + line.strip() + "'");
                    }
                    exited = true;
                    continue;
                }
                if (pending.toString().isBlank()) snippetStart = i + 1;
                pending.append(line).append('\n');
                // Evaluate every complete snippet at the front of what was read so far.
                while (true) {
                    SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(pending.toString());
                    if (info.completeness() == SourceCodeAnalysis.Completeness.EMPTY) {
                        pending.setLength(0);  // only comments and blank lines so far
                        break;
                    }
                    if (!info.completeness().isComplete()) break;
                    evaluate(shell, name, snippetStart, info.source());
                    pending.setLength(0);
                    pending.append(info.remaining());
                    if (pending.toString().isBlank()) break;
                }
                if (pending.toString().isBlank()) pending.setLength(0);
            }
            if (!pending.toString().isBlank()) {
                throw new AssertionError(name + ":" + snippetStart + ": incomplete snippet at the end of the file:\n" + pending);
            }
            if (!exited) throw new AssertionError(name + " does not end with /exit (the jshell tool would wait for input)");
            Map<String, String> vars = new LinkedHashMap<>();
            shell.variables().filter(v -> shell.status(v).isActive()).forEach(v -> vars.put(v.name(), value(shell, v)));
            tee.flush();
            return new Result(captured.toString(StandardCharsets.UTF_8), vars);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private static String value(JShell shell, VarSnippet v) {
        try {
            return shell.varValue(v);
        } catch (IllegalArgumentException | IllegalStateException e) {
            return "<" + e.getMessage() + ">";
        }
    }

    /** A jshell command line: starts with '/' but is no comment. */
    private static boolean isCommand(String line) {
        String s = line.strip();
        return s.startsWith("/") && !s.startsWith("//") && !s.startsWith("/*");
    }

    private static void evaluate(JShell shell, String name, int line, String source) {
        for (SnippetEvent e : shell.eval(source)) {
            if (e.causeSnippet() != null) continue; // a dependent snippet updated by this one
            Snippet s = e.snippet();
            if (e.status() == Snippet.Status.REJECTED) {
                StringBuilder msg = new StringBuilder(name + ":" + line + ": snippet rejected:\n" + source);
                shell.diagnostics(s).forEach(d -> msg.append(describe(d, source)));
                throw new AssertionError(msg.toString());
            }
            if (e.exception() != null) {
                String what = e.exception() instanceof EvalException ee ? ee.getExceptionClassName()
                        : e.exception() instanceof UnresolvedReferenceException ure
                        ? "unresolved reference to " + ure.getSnippet().source() : e.exception().getClass().getName();
                throw new AssertionError(name + ":" + line + ": snippet threw " + what + ": " + e.exception().getMessage()
                        + "\n" + source, e.exception());
            }
        }
    }

    private static String describe(Diag d, String source) {
        return String.format(Locale.ROOT, "%n  %s at offset %d: %s", d.isError() ? "error" : "warning", d.getStartPosition(),
                d.getMessage(Locale.ROOT));
    }

    /** Writes to two streams. */
    private static final class Tee extends OutputStream {
        private final OutputStream a, b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) throws IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws IOException {
            a.flush();
            b.flush();
        }
    }
}
