package org.clip4j.cli;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.encoders.ClipModel;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code --config NAME|CONFIG.json} for the commands that load {@code --model}: the architecture of weights that
 * carry no config of their own and whose shapes do not fix it (open_clip training checkpoints of models trained
 * with exact GELU, text widths that are not a multiple of 64). Without it the config comes with the weights or
 * from their shapes.
 */
final class ModelConfigOption {
    @Option(names = "--config", paramLabel = "NAME|CONFIG.json",
            description = {"Architecture of the --model weights, overriding the stored or inferred one:",
                    "a built-in name (clip models) or an OpenCLIP config file."})
    String config;

    /** Loads {@code model}, with the {@code --config} architecture when given. */
    ClipModel load(Path model) {
        return config == null ? ClipModel.load(model) : ClipModel.load(model, resolve(config));
    }

    /** A built-in name, or a JSON file (a bare OpenCLIP model config or an open_clip_config.json). */
    static ClipConfig resolve(String nameOrFile) {
        Path p = Path.of(nameOrFile);
        return Files.isRegularFile(p) ? ClipConfig.fromJson(p) : ClipConfig.builtin(nameOrFile);
    }
}
