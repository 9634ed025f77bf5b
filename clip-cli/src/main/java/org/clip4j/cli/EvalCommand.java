package org.clip4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code clip eval}: zero-shot classification, linear probes and retrieval on real datasets. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = {"Evaluates a model: zero-shot classification, a linear probe, or retrieval.",
                "Datasets (SPEC): fashion-mnist[:train|test][:DIR], mnist[:split]:DIR,",
                "  cifar10[:split]:DIR, cifar100[:split]:DIR, imagefolder:DIR, csv:FILE,",
                "  tsv:FILE, openclipart:FILE. Results: one JSON object on standard output;",
                "  with --out DIR also results.json, results.md and (classification)",
                "  confusion.png and per_class.png. Progress goes to standard error."},
        subcommands = {EvalZeroshotCommand.class, EvalLinearProbeCommand.class, EvalRetrievalCommand.class})
final class EvalCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: zeroshot, linear-probe or retrieval");
    }
}
