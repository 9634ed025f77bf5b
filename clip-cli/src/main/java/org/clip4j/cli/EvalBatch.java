package org.clip4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code --batch N} of the {@code clip eval} commands: how many images or texts go through the model at once. */
final class EvalBatch {
    @Spec(Spec.Target.MIXEE)
    private CommandSpec command;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "32",
            description = "Images or texts per forward pass (default: ${DEFAULT-VALUE}).")
    private int size;

    /** The batch size; a usage error names {@code --batch} when it is below 1. */
    int size() {
        if (size < 1) throw new CommandLine.ParameterException(command.commandLine(), "--batch " + size + ": expected at least 1");
        return size;
    }
}
