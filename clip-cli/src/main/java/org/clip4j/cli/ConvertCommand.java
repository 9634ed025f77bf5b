package org.clip4j.cli;

import org.clip4j.core.safetensors.DType;
import org.clip4j.encoders.ClipModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
                "Weights are stored as float32, or with --dtype f16|bf16 (safetensors only) in half precision."})
final class ConvertCommand implements Callable<Integer> {
    @Mixin
    ModelOption model = new ModelOption();

    @Option(names = "--to", paramLabel = "FORMAT", required = true, description = "safetensors or hf.")
    String to;

    @Option(names = "--out", paramLabel = "PATH", required = true,
            description = "Output file (safetensors) or folder (hf; created, existing files replaced).")
    Path out;

    @Option(names = "--dtype", paramLabel = "TYPE", defaultValue = "f32",
            description = {"Floating-point type of the safetensors weights: f32 (default), f16 (e.g. to keep",
                    "OpenAI's fp16 weights as they are; float32 entries are rounded) or bf16."})
    String dtype;

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
        DType type = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "f32", "fp32", "float32" -> DType.F32;
            case "f16", "fp16", "float16" -> DType.F16;
            case "bf16", "bfloat16" -> DType.BF16;
            default -> throw new CommandLine.ParameterException(spec.commandLine(), "--dtype " + dtype
                    + ": expected f32, f16 or bf16");
        };
        if (format.equals("hf") && type != DType.F32) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--dtype " + dtype
                    + ": Hugging Face folders are written in float32");
        }
        OutputGuard.notAnInput("--out", out, model.asInput());
        try (ClipModel m = model.load()) {
            if (format.equals("hf")) m.exportHuggingFace(out);
            else m.save(out, type);
        }
        System.err.println("clip: wrote " + (format.equals("hf") ? "Hugging Face CLIPModel folder " : "") + out);
        return 0;
    }
}
