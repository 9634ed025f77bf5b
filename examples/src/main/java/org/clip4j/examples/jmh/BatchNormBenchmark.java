package org.clip4j.examples.jmh;

import org.clip4j.core.nn.BatchNorm2d;
import org.clip4j.core.nn.Kernels;
import org.clip4j.core.nn.Parameter;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * A train-mode BatchNorm's forward and backward on RN50's largest activation ([8, 256, 56, 56], channels last,
 * float32): {@code fused=true} takes the one-pass input gradient ({@link Kernels#channelAffine}), {@code false}
 * the ND4J ops it replaced (a scale, a product into a temporary, two adds). The statistics and the backward's sums
 * are {@code ChannelSums} either way. The backward gets a copy of dy (the layer may write into a donated one).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class BatchNormBenchmark {
    @Param({"true", "false"})
    public boolean fused;

    private BatchNorm2d bn;
    private INDArray x;   // [8, 256, 56, 56] channels last
    private INDArray dy;  // [8, 256, 56, 56] channels last

    @Setup(Level.Trial)
    public void setUp() {
        Kernels.setEnabled(fused);
        bn = new BatchNorm2d("bn", 256);
        for (Parameter p : bn.stateDict()) {
            if (p.name().endsWith("num_batches_tracked")) p.set(Nd4j.scalar(DataType.INT64, 0L));
            else p.set(Nd4j.rand(DataType.FLOAT, 256).addi(0.5));
        }
        bn.train(true);
        x = Tensors.toChannelsLast(Nd4j.randn(DataType.FLOAT, 8, 256, 56, 56));
        dy = Tensors.toChannelsLast(Nd4j.randn(DataType.FLOAT, 8, 256, 56, 56));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Kernels.setEnabled(true);
    }

    /** Forward with a tape, then backward (as a Bottleneck calls them). */
    @Benchmark
    public void forwardBackward() {
        try (Tape tape = new Tape()) {
            INDArray y = bn.forward(x, tape);
            INDArray dx = bn.backward(dy, tape);
            Tensors.release(y, dx);
        }
    }
}
