package org.clip4j.examples.jmh;

import org.clip4j.core.nn.Conv2d;
import org.clip4j.core.nn.Init;
import org.clip4j.core.nn.Tape;
import org.clip4j.core.nn.Tensors;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * One RN50 3×3 convolution (stride 1, padding 1, batch 8, channels-last float32) forward and backward with each
 * {@link Conv2d.Algorithm} that keeps activations channels last: {@code ONEDNN} (oneDNN's primitives through its
 * own binding, the default), {@code NATIVE} (libnd4j's {@code conv2d}/{@code conv2d_bp}, oneDNN inside ND4J's
 * oneDNN builds, libnd4j's own loops in the plain one) and {@code GEMM} (channels-last im2col + BLAS). Layers:
 * {@code 64x56} (layer1, 64 channels at 56×56) and {@code 512x7} (layer4, 512 channels at 7×7), 1.85 GFLOP per
 * forward each. Average time per forward+backward.
 *
 * <pre>examples/bench/run-jmh.sh -e FusedKernelsBenchmark     # the convolutions only</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class ConvolutionBenchmark {
    @Param({"64x56", "512x7"})
    public String layer;

    @Param({"ONEDNN", "NATIVE", "GEMM"})
    public String algorithm;

    private Conv2d conv;
    private INDArray x;   // [8, C, S, S] channels last
    private INDArray dy;  // [8, C, S, S] channels last

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = layer.split("x");
        int c = Integer.parseInt(p[0]), side = Integer.parseInt(p[1]);
        conv = new Conv2d("conv", c, c, 3, 1, 1).algorithm(Conv2d.Algorithm.valueOf(algorithm));
        new Init(0, DataType.FLOAT).normal(conv.weight(), 0.05);
        conv.zeroGrad();
        x = Tensors.toChannelsLast(Nd4j.randn(DataType.FLOAT, 8, c, side, side));
        dy = Tensors.toChannelsLast(Nd4j.randn(DataType.FLOAT, 8, c, side, side));
    }

    /** The layer's forward with a tape, then its backward (dx and the weight gradient). */
    @Benchmark
    public void forwardBackward() {
        try (Tape tape = new Tape()) {
            INDArray y = conv.forward(x, tape);
            INDArray dx = conv.backward(dy, tape);
            Tensors.release(y, dx);
        }
    }
}
