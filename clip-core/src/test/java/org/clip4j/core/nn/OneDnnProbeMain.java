package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Child-JVM probe of {@link OneDnnBuildTest}: on whatever ND4J build it runs, compares Bottleneck blocks with
 * native convolutions on channels-last float inputs (the oneDNN paths: conv2d/conv2d_bp on strided views,
 * batchnorm on axis 3, avgpool2d on NHWC, folded inference BatchNorm), and with oneDNN's own binding
 * ({@link Conv2d.Algorithm#ONEDNN}, a second oneDNN in the same process as the build's), with the same blocks on
 * im2col and NCHW.
 * Prints {@code DEFAULT <algorithm>} and {@code MAXREL <largest normwise relative difference>}.
 */
public final class OneDnnProbeMain {
    public static void main(String[] args) {
        System.out.println("DEFAULT " + Conv2d.defaultAlgorithm());
        double worst = 0;
        for (Conv2d.Algorithm alg : new Conv2d.Algorithm[] {Conv2d.Algorithm.NATIVE, Conv2d.Algorithm.ONEDNN})
        for (boolean training : new boolean[] {false, true}) {
            for (int[] c : new int[][] {{32, 16, 2, 12}, {64, 16, 1, 7}}) { // inplanes, planes, stride, side
                Bottleneck ref = block(c, training, Conv2d.Algorithm.IM2COL);
                Bottleneck nat = block(c, training, alg);
                INDArray x = Nd4j.randn(DataType.FLOAT, 4, c[0], c[3], c[3]);
                double inference = rel(ref.forward(x, null), nat.forward(Tensors.toChannelsLast(x), null));
                worst = Math.max(worst, inference);
                List<INDArray> a = run(ref, x), b = run(nat, Tensors.toChannelsLast(x));
                StringBuilder each = new StringBuilder();
                for (int i = 0; i < a.size(); i++) {
                    double r = rel(a.get(i), b.get(i));
                    each.append(String.format(Locale.ROOT, " %.1e", r));
                    worst = Math.max(worst, r);
                }
                System.out.printf(Locale.ROOT, "CASE %s training=%s %s: inference %.1e; y, dx, grads:%s%n", alg,
                        training, java.util.Arrays.toString(c), inference, each);
            }
        }
        System.out.printf(Locale.ROOT, "MAXREL %.3e%n", worst);
    }

    private static Bottleneck block(int[] c, boolean training, Conv2d.Algorithm alg) {
        Bottleneck b = new Bottleneck("b", c[0], c[1], c[2]);
        Init init = new Init(7, DataType.FLOAT);
        for (Parameter p : b.stateDict()) {
            if (p.name().endsWith("num_batches_tracked")) p.set(Nd4j.scalar(DataType.INT64, 0L));
            else init.normal(p, p.shape().length > 1 ? 0.1 : 0.5);
        }
        java.util.Random r = new java.util.Random(8);
        for (BatchNorm2d bn : b.batchNorms()) {
            float[] var = new float[(int) bn.channels()];
            for (int i = 0; i < var.length; i++) var[i] = 0.5f + r.nextFloat();
            bn.runningVar().set(Nd4j.createFromArray(var));
        }
        for (Conv2d conv : b.convs()) conv.algorithm(alg);
        b.train(training);
        return b;
    }

    /** Output, input gradient and every parameter gradient of one forward/backward with dy = y. */
    private static List<INDArray> run(Bottleneck b, INDArray x) {
        b.zeroGrad();
        List<INDArray> out = new ArrayList<>();
        try (Tape tape = new Tape()) {
            INDArray y = b.forward(x, tape);
            out.add(y.dup('c'));
            out.add(b.backward(y.dup('c'), tape).dup('c'));
        }
        for (Parameter p : b.parameters()) out.add(p.grad().dup());
        return out;
    }

    private static double rel(INDArray a, INDArray b) {
        double scale = Math.max(a.norm2Number().doubleValue(), 1e-30);
        return a.sub(b.dup('c')).norm2Number().doubleValue() / scale;
    }

    private OneDnnProbeMain() {
    }
}
