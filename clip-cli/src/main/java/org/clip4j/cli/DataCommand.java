package org.clip4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code clip data}: dataset preparation, one subcommand per task. */
@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Prepares training data: WebDataset shards, the Open Clip Art Library, resized copies.",
        subcommands = {DataShardCommand.class, DataOpenclipartCommand.class, DataResizeCommand.class})
final class DataCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand (shard, openclipart, resize)");
    }
}
