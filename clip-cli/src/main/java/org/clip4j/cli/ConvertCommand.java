package org.clip4j.cli;

import org.clip4j.encoders.ClipModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code clip convert}: rewrites a checkpoint as OpenAI-named safetensors or as a Hugging Face CLIPModel folder. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Converts a checkpoint (any format --model accepts) to",
                "  safetensors: one file with OpenAI names and the config in __metadata__;",
                "  hf: a Hugging Face CLIPModel folder, config.json + model.safetensors",
                "      (Vision Transformer models only; no tokenizer files).",
                "Weights are stored as float32."})
final class ConvertCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "PATH", required = true,
            description = "A .safetensors checkpoint, an OpenCLIP or a Hugging Face CLIP directory.")
    Path model;

    @Option(names = "--to", paramLabel = "FORMAT", required = true, description = "safetensors or hf.")
    String to;

    @Option(names = "--out", paramLabel = "PATH", required = true,
            description = "Output file (safetensors) or folder (hf; created, existing files replaced).")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        String format = to.toLowerCase(Locale.ROOT);
        if (!format.equals("safetensors") && !format.equals("hf")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--to " + to + ": expected safetensors or hf");
        }
        if (format.equals("safetensors") && Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out " + out + ": is a directory; give a .safetensors file name");
        }
        OutputGuard.notAnInput("--out", out, OutputGuard.input("--model", model));
        try (ClipModel m = ClipModel.load(model)) {
            if (format.equals("hf")) m.exportHuggingFace(out);
            else m.save(out);
        }
        System.err.println("clip: wrote " + (format.equals("hf") ? "Hugging Face CLIPModel folder " : "") + out);
        return 0;
    }
}
