package org.clip4j.encoders;

import org.clip4j.core.ClipException;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.AttentionPool2d;
import org.clip4j.core.nn.AvgPool2d;
import org.clip4j.core.nn.BatchNorm2d;
import org.clip4j.core.nn.Bottleneck;
import org.clip4j.core.nn.Conv2d;
import org.clip4j.core.nn.Init;
import org.clip4j.core.nn.Linear;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Relu;
import org.clip4j.core.nn.Scope;
import org.clip4j.core.nn.Tape;
import org.clip4j.core.nn.Tensors;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * OpenAI's ModifiedResNet image tower (RN50, RN101, RN50x4, RN50x16, RN50x64): images [N, 3, R, R] → [N, E].
 *
 * <ol>
 *   <li>A 3-conv stem instead of one 7×7 conv: conv 3×3 stride 2 (width/2) → BN → ReLU → conv 3×3 (width/2) →
 *       BN → ReLU → conv 3×3 (width) → BN → ReLU → AvgPool(2) instead of a max pool. R → R/4.</li>
 *   <li>Four stages of {@link Bottleneck} blocks, planes width·{1, 2, 4, 8} (4× as many output channels);
 *       stages 2–4 halve the resolution with an average pool rather than a strided conv. R/4 → R/32.</li>
 *   <li>{@link AttentionPool2d} over the width·32 channels of the (R/32)² grid with width·32/head_width heads
 *       (head dimension 64 for every CLIP ResNet) instead of a global average pool, then {@code c_proj} → E.</li>
 * </ol>
 *
 * <p>BatchNorm runs in inference mode (running statistics) unless {@link #train(boolean) train(true)} is set.
 * With the oneDNN convolutions ({@link Conv2d.Algorithm#NATIVE}) the activations are kept channels last
 * ({@link Tensors#isChannelsLast}), logically still [N, C, H, W]. Probe keys: {@code visual.stem},
 * {@code visual.layer1} … {@code visual.layer4} ([N, C, H, W], possibly channels-last views).
 *
 * <p>Ownership in training: the children's tape records reference the stem's activations and every block's
 * input and output. This tower saves all of them in its own record ({@code Saved}), saved after the children's
 * and popped first in backward, so they stay alive until the children's backwards have run (as in
 * {@link Bottleneck}). Gradients are donated from one child to the next.
 */
public final class ModifiedResNet extends ImageEncoder {
    private final int imageSize;
    private final int width;
    private final Conv2d conv1;
    private final BatchNorm2d bn1;
    private final Conv2d conv2;
    private final BatchNorm2d bn2;
    private final Conv2d conv3;
    private final BatchNorm2d bn3;
    private final Relu relu1 = new Relu();
    private final Relu relu2 = new Relu();
    private final Relu relu3 = new Relu();
    private final AvgPool2d stemPool = new AvgPool2d(2);
    private final List<List<Bottleneck>> stages = new ArrayList<>();
    private final AttentionPool2d attnpool;

    public ModifiedResNet(ClipConfig.Vision cfg, int embedDim) {
        super("visual");
        if (cfg.imageSize() % 32 != 0) {
            throw new ClipException("ModifiedResNet: image_size " + cfg.imageSize() + " is not a multiple of 32");
        }
        this.imageSize = cfg.imageSize();
        this.width = cfg.width();
        // Registration order = the reference state_dict order.
        this.conv1 = child(new Conv2d(qualify("conv1"), 3, width / 2, 3, 2, 1));
        this.bn1 = child(new BatchNorm2d(qualify("bn1"), width / 2));
        this.conv2 = child(new Conv2d(qualify("conv2"), width / 2, width / 2, 3, 1, 1));
        this.bn2 = child(new BatchNorm2d(qualify("bn2"), width / 2));
        this.conv3 = child(new Conv2d(qualify("conv3"), width / 2, width, 3, 1, 1));
        this.bn3 = child(new BatchNorm2d(qualify("bn3"), width));
        long inplanes = width;
        for (int stage = 0; stage < 4; stage++) {
            long planes = (long) width << stage;
            List<Bottleneck> blocks = new ArrayList<>();
            for (int j = 0; j < cfg.layers().get(stage); j++) {
                int stride = stage > 0 && j == 0 ? 2 : 1; // only the first block of stages 2-4 downsamples
                blocks.add(child(new Bottleneck(qualify("layer" + (stage + 1) + "." + j), inplanes, planes, stride)));
                inplanes = planes * Bottleneck.EXPANSION;
            }
            stages.add(blocks);
        }
        long embed = width * 32L; // the ResNet feature dimension = 4 · 8 · width
        this.attnpool = child(new AttentionPool2d(qualify("attnpool"), imageSize / 32, embed, cfg.heads(), embedDim));
    }

    @Override
    public int imageSize() {
        return imageSize;
    }

    /** Output dimension of the attention pool. */
    public long embedDim() {
        return attnpool.cProj().outFeatures();
    }

    public AttentionPool2d attnpool() {
        return attnpool;
    }

    /** Every Bottleneck, stage by stage. */
    public List<Bottleneck> blocks() {
        List<Bottleneck> all = new ArrayList<>();
        for (List<Bottleneck> s : stages) all.addAll(s);
        return all;
    }

    /** Every convolution: the three stem convs, then each block's in state-dict order. */
    public List<Conv2d> convs() {
        List<Conv2d> all = new ArrayList<>(List.of(conv1, conv2, conv3));
        for (Bottleneck b : blocks()) all.addAll(b.convs());
        return all;
    }

    /**
     * Sets the algorithm of every convolution (default {@link Conv2d#defaultAlgorithm()}); with
     * {@link Conv2d.Algorithm#NATIVE}, and with {@link Conv2d.Algorithm#ONEDNN} or {@link Conv2d.Algorithm#GEMM}
     * for float32 on the CPU, the activations are kept channels last. For tests and measurements.
     */
    public void convAlgorithm(Conv2d.Algorithm a) {
        for (Conv2d c : convs()) c.algorithm(a);
    }

    /** Every BatchNorm in state-dict order. */
    public List<BatchNorm2d> batchNorms() {
        List<BatchNorm2d> all = new ArrayList<>(List.of(bn1, bn2, bn3));
        for (Bottleneck b : blocks()) all.addAll(b.batchNorms());
        return all;
    }

    /** BatchNorm mode: true = batch statistics + running-statistics updates (training), false = inference. */
    public void train(boolean on) {
        for (BatchNorm2d bn : batchNorms()) bn.train(on);
    }

    /**
     * Reference initialisation: PyTorch's defaults (convs U(±1/√fan_in), BatchNorm weight 1, bias 0, running
     * statistics 0/1; Linear biases U(±1/√in)), the attention pool's {@code positional_embedding} N(0, C⁻¹), then
     * OpenAI's {@code initialize_parameters}: q/k/v/c_proj weights N(0, std = c_proj.in_features^-0.5) and every
     * residual block's {@code bn3.weight} zero, so each block starts as the identity (plus its downsample).
     */
    @Override
    public void initialize(Init init) {
        for (Conv2d c : List.of(conv1, conv2, conv3)) init.torchDefaultWeight(c.weight());
        for (BatchNorm2d bn : List.of(bn1, bn2, bn3)) bn.resetParameters(init);
        for (Bottleneck b : blocks()) {
            for (Conv2d c : b.convs()) init.torchDefaultWeight(c.weight());
            for (BatchNorm2d bn : b.batchNorms()) bn.resetParameters(init);
            init.constant(b.bn3().weight(), 0);
        }
        long c = width * 32L;
        double std = Math.pow(attnpool.cProj().inFeatures(), -0.5);
        init.normal(attnpool.positionalEmbedding(), Math.pow(c, -0.5));
        for (Linear l : List.of(attnpool.kProj(), attnpool.qProj(), attnpool.vProj(), attnpool.cProj())) {
            init.normal(l.weight(), std);
            init.uniform(l.bias(), 1.0 / Math.sqrt(l.inFeatures()));
        }
    }

    /**
     * The arrays the children's records reference (R the image size, w the width), owned by the tape until this
     * tower's backward has run; a null x means the images themselves (the caller's).
     */
    private record Saved(
            INDArray x,        // [N, 3, R, R]: the images converted to the weights' type or layout, or null
            INDArray c1,       // [N, w/2, R/2, R/2]: stem conv1's output (bn1's input)
            INDArray r1,       // [N, w/2, R/2, R/2]: relu1's output (conv2's input)
            INDArray c2,       // [N, w/2, R/2, R/2]: conv2's output
            INDArray r2,       // [N, w/2, R/2, R/2]: relu2's output
            INDArray c3,       // [N, w, R/2, R/2]: conv3's output
            INDArray r3,       // [N, w, R/2, R/2]: relu3's output (the stem pool's input)
            INDArray[] trunk)  // the stem pool's output, then every block's output ([N, C, H, W] each); the last
                               // one is the attention pool's input
    {
    }

    /** conv → BN → ReLU: {@code c}, the conv output the BN's record references (null without a tape), and r. */
    private record Stem(INDArray c, INDArray r) {
    }

    @Override
    public INDArray forward(INDArray images, Tape tape) {
        long[] sh = images.shape();
        if (sh.length != 4 || sh[1] != 3 || sh[2] != imageSize || sh[3] != imageSize) {
            throw new ClipException("visual: expected images of shape [N, 3, " + imageSize + ", " + imageSize
                    + "], got " + Arrays.toString(sh));
        }
        try (Scope s = Scope.open()) {
            var type = conv1.weight().value().dataType();
            INDArray x = images;
            if (images.dataType() != type) x = s.track(images.castTo(type));
            if (conv1.computesChannelsLast(type)) {
                // oneDNN and the GEMM algorithm convolve channels-last activations without transposing copies;
                // every layer keeps the layout of its input, so converting the images once makes the whole tower
                // channels last.
                INDArray last = s.track(Tensors.toChannelsLast(x));
                if (x != images) s.release(x);
                x = last;
            } else if (x == images && !Tensors.isRowMajorContiguous(x)) {
                x = s.track(images.dup('c'));
            }

            Stem a1 = convBnRelu(s, conv1, bn1, relu1, x, tape);   // [N, w/2, R/2, R/2]
            Stem a2 = convBnRelu(s, conv2, bn2, relu2, a1.r(), tape);
            Stem a3 = convBnRelu(s, conv3, bn3, relu3, a2.r(), tape); // [N, w, R/2, R/2]
            INDArray h = stemPool.forward(a3.r(), tape);                  // [N, w, R/4, R/4]
            if (tape == null) {
                if (x != images) s.release(x);
                s.release(a1.r(), a2.r(), a3.r());
            }
            INDArray stem = h;
            emit("visual.stem", () -> stem);
            List<INDArray> trunk = new ArrayList<>();
            for (int stage = 0; stage < 4; stage++) {
                for (Bottleneck b : stages.get(stage)) {
                    INDArray next = b.forward(h, tape);                   // [N, 4·planes, H/stride, W/stride]
                    if (tape != null) trunk.add(h);
                    else s.release(h);
                    h = next;
                }
                INDArray out = h;
                emit("visual.layer" + (stage + 1), () -> out);
            }
            INDArray features = attnpool.forward(h, tape);                // [N, E]
            if (tape != null) {
                trunk.add(h); // the last block's ReLU references its output
                tape.save(this, new Saved(x != images ? x : null, a1.c(), a1.r(), a2.c(), a2.r(), a3.c(), a3.r(),
                        trunk.toArray(new INDArray[0])), s);
            }
            return s.ret(features);
        }
    }

    @Override
    public void backward(INDArray dFeatures, Tape tape) {
        try (Scope s = Scope.open()) {
            tape.pop(this, Saved.class, s); // the children's arrays: s's until their backwards are done
            INDArray d = attnpool.backward(dFeatures, tape);             // [N, 32w, R/32, R/32]
            List<Bottleneck> blocks = blocks();
            for (int i = blocks.size() - 1; i >= 0; i--) {
                d = blocks.get(i).backward(d, tape, true);               // d is donated: the block's scratch
            }
            INDArray dr3 = stemPool.backward(d, tape);
            s.release(d);
            INDArray dr2 = convBnReluBackward(s, conv3, bn3, relu3, dr3, tape, true); // each dy is donated
            INDArray dr1 = convBnReluBackward(s, conv2, bn2, relu2, dr2, tape, true);
            convBnReluBackward(s, conv1, bn1, relu1, dr1, tape, false); // no image gradient: the pixels need none
        }
    }

    /**
     * conv → BN → ReLU, results owned by {@code s} (the caller's scope, innermost). With a tape the BN's record
     * references the conv output (returned as {@code c} for the caller to save), the ReLU's its output. Without a
     * tape an inference-mode BatchNorm is folded into the convolution; BN (without a tape) and ReLU run in place.
     */
    private static Stem convBnRelu(Scope s, Conv2d conv, BatchNorm2d bn, Relu relu, INDArray x, Tape tape) {
        if (tape == null && !bn.isTraining()) { // inference: the BatchNorm folded into the convolution
            INDArray[] affine = bn.inferenceAffine();
            INDArray y = relu.forwardInPlace(conv.forwardAffine(x, affine[0], affine[1]), null);
            s.release(affine);
            return new Stem(null, y);
        }
        INDArray c = conv.forward(x, tape);
        INDArray b = bn.forward(c, tape, tape == null); // without a tape c is donated: b is c
        INDArray r = relu.forwardInPlace(b, tape);      // in place: r is b
        return new Stem(tape != null ? c : null, r);
    }

    /**
     * Backward of {@link #convBnRelu}: new dx, owned by {@code s} (null without {@code inputGradient}); dy (owned
     * by s) is donated.
     */
    private static INDArray convBnReluBackward(Scope s, Conv2d conv, BatchNorm2d bn, Relu relu, INDArray dy,
                                               Tape tape, boolean inputGradient) {
        INDArray dc = bn.backward(dy, tape, true, relu.popOutput(tape, s)); // the ReLU's backward runs in the BN's
        INDArray dx = conv.backward(dc, tape, inputGradient);
        s.release(dc);
        return dx;
    }

    /** True for the BatchNorm step counter, which checkpoints may omit. */
    static boolean isCounter(Parameter p) {
        return p.name().endsWith(".num_batches_tracked");
    }
}
