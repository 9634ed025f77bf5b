package org.clip4j.cli;

import org.clip4j.core.ClipException;
import org.clip4j.core.io.IoErrors;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code clip} command line. Each subcommand is one class; every one has {@code --help}. Bad input ends
 * with a non-zero exit code and a single line {@code clip: error: ...} on standard error.
 */
@Command(name = "clip",
        mixinStandardHelpOptions = true,
        versionProvider = Versions.class,
        description = "CLIP (Contrastive Language-Image Pre-training) on the JVM.",
        subcommands = {TokenizeCommand.class, PreprocessCommand.class, EmbedCommand.class, ZeroshotCommand.class,
                ModelsCommand.class, ConvertCommand.class, TrainCommand.class, DemoCommand.class, EvalCommand.class,
                DataCommand.class,
                CommandLine.HelpCommand.class})
public final class ClipCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
    }

    /** Runs the command line and returns the exit code (0 ok, 1 failure, 2 usage error). */
    public static int execute(String... args) {
        NativeBuild.select();
        CommandLine cl = new CommandLine(new ClipCommand());
        cl.setExecutionExceptionHandler(ClipCommand::onError);
        cl.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("clip: usage error: " + ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            err.flush();
            return 2;
        });
        return cl.execute(args);
    }

    private static int onError(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage();
        if (ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException) {
            // Java's file-system messages are often the bare path: add the reason ("permission denied", "no space left on device")
            String reason = IoErrors.reason(ex);
            if (!msg.toLowerCase(java.util.Locale.ROOT).contains(reason.toLowerCase(java.util.Locale.ROOT))) msg = msg + ": " + reason;
        } else if (!(ex instanceof ClipException) && !(ex instanceof IllegalArgumentException)) {
            msg = ex.getClass().getSimpleName() + ": " + msg;
        }
        err.println("clip: error: " + msg.replace('\n', ' '));
        if (System.getenv("CLIP4J_DEBUG") != null) ex.printStackTrace(err);
        err.flush();
        return 1;
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
