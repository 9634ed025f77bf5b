package org.clip4j.encoders;

import org.clip4j.core.torch.TorchCheckpoint;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The named tensors of one checkpoint file, whatever its format: a safetensors file
 * ({@link SafetensorsWeights}) or a PyTorch checkpoint read without running pickle code ({@link TorchWeights}).
 * {@link CheckpointLoader} validates and reads every format through this interface.
 */
interface WeightFile extends AutoCloseable {
    /**
     * Opens {@code path} by its content (a zip archive or a pickle stream is a PyTorch checkpoint, a safetensors
     * header is safetensors) or, for a file that is neither, by its name ({@code .pt}, {@code .pth}, {@code .bin},
     * {@code .ckpt}: PyTorch, whose reader then explains what is wrong).
     */
    static WeightFile open(Path path) {
        return isTorch(path) ? new TorchWeights(path) : new SafetensorsWeights(path);
    }

    /** True when {@link #open} reads {@code path} as a PyTorch checkpoint. */
    static boolean isTorch(Path path) {
        String n = path.getFileName().toString();
        boolean torchName = n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".bin") || n.endsWith(".ckpt");
        return TorchCheckpoint.looksLikeTorch(path) || (torchName && !looksLikeSafetensors(path));
    }

    /** An 8-byte little-endian header length that fits in the file, followed by '{'. */
    private static boolean looksLikeSafetensors(Path path) {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(path)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(9).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
                // fill
            }
            return b.position() == 9 && b.get(8) == '{' && b.getLong(0) >= 2 && b.getLong(0) <= ch.size() - 8;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** The file. */
    Path path();

    /** Short description of the format for logs, e.g. "safetensors" or "TorchScript archive". */
    String format();

    /** String metadata (safetensors {@code __metadata__}); empty for PyTorch checkpoints. */
    Map<String, String> metadata();

    /** Tensor names in file order. */
    List<String> names();

    boolean contains(String name);

    /** The shape of tensor {@code name}. */
    long[] shape(String name);

    /** True for a floating-point tensor. */
    boolean isFloat(String name);

    /** The element type's name, for messages. */
    String dtype(String name);

    /** A floating tensor as a FLOAT array of its shape (half types widened exactly, F64 rounded). */
    INDArray floatArray(String name);

    /** A floating tensor's values as double, C order. */
    double[] doubles(String name);

    /** An integer tensor's values, C order. */
    long[] longs(String name);

    @Override
    void close();
}
