package org.clip4j.encoders;

import org.clip4j.core.safetensors.SafetensorsFile;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A safetensors file as a {@link WeightFile}. */
final class SafetensorsWeights implements WeightFile {
    private final SafetensorsFile f;

    SafetensorsWeights(Path path) {
        this.f = SafetensorsFile.open(path);
    }

    @Override
    public Path path() {
        return f.path();
    }

    @Override
    public String format() {
        return "safetensors";
    }

    @Override
    public Map<String, String> metadata() {
        return f.metadata();
    }

    @Override
    public List<String> names() {
        return f.names();
    }

    @Override
    public boolean contains(String name) {
        return f.contains(name);
    }

    @Override
    public long[] shape(String name) {
        return f.info(name).shape();
    }

    @Override
    public boolean isFloat(String name) {
        return f.info(name).dtype().isFloat();
    }

    @Override
    public String dtype(String name) {
        return f.info(name).dtype().name();
    }

    @Override
    public INDArray floatArray(String name) {
        return f.floatArray(name);
    }

    @Override
    public double[] doubles(String name) {
        return f.doubles(name);
    }

    @Override
    public long[] longs(String name) {
        return f.longs(name);
    }

    @Override
    public void close() {
        f.close();
    }
}
