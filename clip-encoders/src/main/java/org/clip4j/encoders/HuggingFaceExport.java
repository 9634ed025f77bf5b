package org.clip4j.encoders;

import org.clip4j.core.io.AtomicFile;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Tensors;
import org.clip4j.core.safetensors.SafetensorsWriter;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a {@link ClipModel} as a Hugging Face {@code CLIPModel} directory: {@code config.json} (see
 * {@link HfClipConfig#toJson}) and {@code model.safetensors} (names and layout from {@link HfClipNames}, in the
 * model's state-dict order, with {@code __metadata__ format=pt}). No tokenizer or preprocessor files are written:
 * copy those from the original model if a {@code CLIPProcessor} is needed.
 */
final class HuggingFaceExport {
    private HuggingFaceExport() {
    }

    static void write(ClipModel model, Path dir) {
        String config = HfClipConfig.toJson(model.config()); // fails early for a ModifiedResNet
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (Parameter p : model.stateDict()) {
            List<HfClipNames.Part> parts = HfClipNames.toHf(p.name(), p.shape());
            List<INDArray> values = HfClipNames.splitValue(p.name(), p.value());
            for (int i = 0; i < parts.size(); i++) {
                w.put(parts.get(i).name(), values.get(i));
                Tensors.release(values.get(i));
            }
        }
        try {
            Files.createDirectories(dir);
            w.write(dir.resolve(CheckpointSource.HF_WEIGHTS));
            AtomicFile.writeString(dir.resolve(CheckpointSource.HF_CONFIG), config);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write Hugging Face checkpoint to " + dir + ": " + e, e);
        }
    }
}
