package org.clip4j.examples.jmh;

import org.clip4j.core.nn.BatchNorm2d;
import org.clip4j.core.nn.Conv2d;
import org.clip4j.core.nn.Init;
import org.clip4j.core.nn.Kernels;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Relu;
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
import java.util.function.BiFunction;

/**
 * The ResNet layers' paths against the ones they replaced, at RN50's shapes (batch 8, channels-last float32),
 * forward and backward with a tape, average time per call:
 * <ul>
 *   <li>{@code convolution}: one 3×3 convolution (stride 1) with each {@link Conv2d.Algorithm} that keeps
 *       activations channels last — {@code ONEDNN} (oneDNN's primitives through its own binding, the default),
 *       {@code NATIVE} (libnd4j's {@code conv2d}/{@code conv2d_bp}) and {@code GEMM} (channels-last im2col + BLAS);
 *       layers {@code 64x56} (layer1) and {@code 512x7} (layer4), 1.85 GFLOP per forward each;</li>
 *   <li>{@code batchNorm}: train-mode BatchNorm on the largest activation, [8, 256, 56, 56], with the one-pass
 *       input gradient ({@link Kernels#channelAffine}, {@code fused=true}) or the ND4J ops it replaced; the
 *       statistics and the backward's sums are {@code ChannelSums} either way;</li>
 *   <li>{@code batchNormRelu}: BatchNorm → ReLU on [8, 256, 56, 56], in inference or training mode, with the
 *       ReLU's backward folded into the BatchNorm's pass ({@code folded=true}: {@code BatchNorm2d.backward} given the
 *       ReLU's output) or run as its own pass first.</li>
 * </ul>
 * The channel sums run on the Vector API when the JVM has {@code jdk.incubator.vector} (run-jmh.sh adds it); add
 * {@code -jvmArgsAppend -Dclip4j.vector=false} for the plain loops.
 *
 * <pre>examples/bench/run-jmh.sh ResNetLayersBenchmark -e FusedKernelsBenchmark   # these only</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ResNetLayersBenchmark {
    /** A 3×3 convolution and its inputs. */
    @State(Scope.Thread)
    public static class Convolution {
        @Param({"64x56", "512x7"})
        public String layer;

        @Param({"ONEDNN", "NATIVE", "GEMM"})
        public String algorithm;

        Conv2d conv;
        INDArray x;   // [8, C, S, S] channels last
        INDArray dy;  // [8, C, S, S] channels last

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
    }

    /** A train-mode BatchNorm and its inputs. */
    @State(Scope.Thread)
    public static class Norm {
        @Param({"true", "false"})
        public boolean fused;

        BatchNorm2d bn;
        INDArray x;   // [8, 256, 56, 56] channels last
        INDArray dy;  // [8, 256, 56, 56] channels last

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
    }

    /** A BatchNorm followed by a ReLU, and their inputs. */
    @State(Scope.Thread)
    public static class NormRelu {
        @Param({"true", "false"})
        public boolean folded;

        @Param({"eval", "train"})
        public String mode;

        BatchNorm2d bn;
        final Relu relu = new Relu();
        INDArray x;   // [8, 256, 56, 56] channels last
        INDArray dy;  // [8, 256, 56, 56] channels last

        @Setup(Level.Trial)
        public void setUp() {
            bn = new BatchNorm2d("bn", 256);
            for (Parameter p : bn.stateDict()) {
                if (p.name().endsWith("num_batches_tracked")) p.set(Nd4j.scalar(DataType.INT64, 0L));
                else p.set(Nd4j.rand(DataType.FLOAT, 256).addi(0.5));
            }
            bn.train(mode.equals("train"));
            x = Tensors.toChannelsLast(Nd4j.randn(DataType.FLOAT, 8, 256, 56, 56));
            dy = Tensors.toChannelsLast(Nd4j.randn(DataType.FLOAT, 8, 256, 56, 56));
        }
    }

    /** The convolution's forward with a tape, then its backward (dx and the weight gradient). */
    @Benchmark
    public void convolution(Convolution c) {
        forwardBackward(c.conv::forward, c.conv::backward, c.x, c.dy);
    }

    /** BatchNorm forward with a tape, then backward (dy is the caller's: the layer writes into a copy). */
    @Benchmark
    public void batchNorm(Norm n) {
        forwardBackward(n.bn::forward, n.bn::backward, n.x, n.dy);
    }

    /**
     * BatchNorm → in-place ReLU forward with a tape, then the backward of both, dy donated (a copy of it: the same
     * copy either way).
     */
    @Benchmark
    public void batchNormRelu(NormRelu n) {
        try (Tape tape = new Tape()) {
            INDArray y = n.relu.forwardInPlace(n.bn.forward(n.x, tape), tape);
            INDArray g = Tensors.copy4(n.dy), dx;
            if (n.folded) {
                INDArray reluOutput;
                try (org.clip4j.core.nn.Scope s = org.clip4j.core.nn.Scope.open()) {
                    reluOutput = n.relu.popOutput(tape, s);
                }
                dx = n.bn.backward(g, tape, true, reluOutput);
            } else {
                dx = n.bn.backward(n.relu.backward(g, tape, true), tape, true);
            }
            Tensors.release(y, dx);
        }
    }

    private static void forwardBackward(BiFunction<INDArray, Tape, INDArray> forward,
                                        BiFunction<INDArray, Tape, INDArray> backward, INDArray x, INDArray dy) {
        try (Tape tape = new Tape()) {
            INDArray y = forward.apply(x, tape);
            INDArray dx = backward.apply(dy, tape);
            Tensors.release(y, dx);
        }
    }
}
