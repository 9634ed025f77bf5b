package org.clip4j.encoders;

import org.clip4j.core.torch.TorchCheckpoint;
import org.clip4j.core.torch.TorchFormatException;
import org.clip4j.core.torch.TorchTensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A PyTorch checkpoint ({@code torch.save} zip or legacy stream, OpenAI's TorchScript {@code .pt} archives,
 * open_clip training checkpoints) as a {@link WeightFile}: the tensors of its state dict, found and named by
 * {@link TorchCheckpoint#stateDict()}. Half-precision weights are widened to float32 exactly, as
 * {@code model.float()} does after the reference {@code clip.load}.
 */
final class TorchWeights implements WeightFile {
    private static final Logger LOG = LoggerFactory.getLogger(TorchWeights.class);
    private final TorchCheckpoint c;
    private final Map<String, TorchTensor> sd;

    TorchWeights(Path path) {
        this.c = TorchCheckpoint.open(path);
        try {
            this.sd = c.stateDict();
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        LOG.info("{}: {}, {} tensors from the {}{}", path, c.format(), sd.size(), c.stateDictOrigin(),
                c.skippedEntries().isEmpty() ? "" : "; not tensors, ignored: " + summary(c.skippedEntries()));
    }

    private static String summary(List<String> names) {
        return names.size() <= 8 ? names.toString() : names.subList(0, 8) + " and " + (names.size() - 8) + " more";
    }

    private TorchTensor tensor(String name) {
        TorchTensor t = sd.get(name);
        if (t == null) throw new TorchFormatException(c.path() + ": no tensor named '" + name + "'");
        return t;
    }

    @Override
    public Path path() {
        return c.path();
    }

    @Override
    public String format() {
        return c.format().toString();
    }

    @Override
    public Map<String, String> metadata() {
        return Map.of();
    }

    @Override
    public List<String> names() {
        return List.copyOf(sd.keySet());
    }

    @Override
    public boolean contains(String name) {
        return sd.containsKey(name);
    }

    @Override
    public long[] shape(String name) {
        return tensor(name).shape();
    }

    @Override
    public boolean isFloat(String name) {
        return tensor(name).dtype().isFloat();
    }

    @Override
    public String dtype(String name) {
        return tensor(name).dtype().name();
    }

    @Override
    public INDArray floatArray(String name) {
        TorchTensor t = tensor(name);
        return Nd4j.create(t.floats(), t.shape(), DataType.FLOAT);
    }

    @Override
    public double[] doubles(String name) {
        return tensor(name).doubles();
    }

    @Override
    public long[] longs(String name) {
        return tensor(name).longs();
    }

    @Override
    public void close() {
        c.close();
    }
}
