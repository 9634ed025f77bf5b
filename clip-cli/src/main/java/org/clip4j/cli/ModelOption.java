package org.clip4j.cli;

import org.clip4j.encoders.ClipModel;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;

/**
 * {@code --model PATH} (required) with {@code --config}: the weights that {@code embed}, {@code zeroshot},
 * {@code convert}, {@code eval zeroshot} and {@code eval retrieval} load, in any format {@link ClipModel#load}
 * reads. ({@code eval linear-probe}, whose {@code --model} is optional, uses {@link ModelConfigOption} alone.)
 */
final class ModelOption {
    @Option(names = "--model", paramLabel = "PATH", required = true,
            description = "A .safetensors or PyTorch (.pt/.bin, OpenAI TorchScript) checkpoint, an OpenCLIP or a Hugging Face CLIP directory.")
    private Path path;

    @Mixin
    private ModelConfigOption config = new ModelConfigOption();

    /** The {@code --model} path as given. */
    Path path() {
        return path;
    }

    /** Loads the model, with the {@code --config} architecture when given. */
    ClipModel load() {
        return config.load(path);
    }

    /** Inputs for {@code model} (this command's loaded model): images, texts and tensors checked against it. */
    ModelInputs inputs(ClipModel model) {
        return new ModelInputs(model, path);
    }

    /** {@code --model} as an input of {@link OutputGuard#notAnInput}. */
    Map<String, Iterable<Path>> asInput() {
        return OutputGuard.input("--model", path);
    }
}
