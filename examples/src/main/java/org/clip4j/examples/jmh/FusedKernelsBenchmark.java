package org.clip4j.examples.jmh;

import org.clip4j.core.nn.Activation;
import org.clip4j.core.nn.Init;
import org.clip4j.core.nn.Kernels;
import org.clip4j.core.nn.LayerNorm;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.SmallGemm;
import org.clip4j.core.nn.Tape;
import org.clip4j.core.nn.Tensors;
import org.clip4j.train.optim.AdamW;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
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

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Each fused kernel of {@link Kernels} against the ND4J path it replaces, at the shapes of two real models:
 * {@code tiny} = clip4j-tiny's image tower at batch 64 (64×17 tokens, width 64, MLP 256, 2 heads), {@code vitb32}
 * = ViT-B/32's image tower at batch 32 (32×50 tokens, width 768, MLP 3072, 12 heads). {@code fused=false} runs
 * the very code the layers run with {@code -Dclip4j.fused=false} (or, for the softmax backward and the bias
 * gradient, whose ND4J chains live in package-private methods, the same ND4J ops written out here). float32, average time per call.
 *
 * <pre>examples/bench/run-jmh.sh            # all benchmarks, both shapes, both paths</pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class FusedKernelsBenchmark {
    @Param({"tiny", "vitb32"})
    public String shape;

    @Param({"true", "false"})
    public boolean fused;

    private long batch, tokens, width, hidden, heads;
    private LayerNorm ln;
    private INDArray x;       // [B, T, W]
    private INDArray dy;      // [B, T, W]
    private INDArray u;       // [B, T, hidden]: MLP pre-activation
    private INDArray du;      // [B, T, hidden]
    private INDArray h;       // [B, T, hidden]: QuickGELU(u)
    private INDArray probs;   // [B, H, T, T]
    private INDArray dProbs;  // [B, H, T, T]
    private INDArray biasGrad; // [hidden]
    private INDArray qh, kh, ctx; // [B, H, T, hd] each: heads of q, k and the context
    private AdamW adamw;
    private List<Parameter> params;

    @Setup(Level.Trial)
    public void setUp() {
        Kernels.setEnabled(fused);
        boolean tiny = shape.equals("tiny");
        batch = tiny ? 64 : 32;
        tokens = tiny ? 17 : 50;
        width = tiny ? 64 : 768;
        hidden = 4 * width;
        heads = tiny ? 2 : 12;
        Init init = new Init(0, DataType.FLOAT);
        ln = new LayerNorm("ln", width);
        init.normal(ln.weight(), 0.1);
        init.normal(ln.bias(), 0.1);
        x = Nd4j.randn(DataType.FLOAT, batch, tokens, width);
        dy = Nd4j.randn(DataType.FLOAT, batch, tokens, width);
        u = Nd4j.randn(DataType.FLOAT, batch, tokens, hidden);
        du = Nd4j.randn(DataType.FLOAT, batch, tokens, hidden);
        h = Activation.QUICK_GELU.forward(u);
        probs = Nd4j.randn(DataType.FLOAT, batch, heads, tokens, tokens);
        Nd4j.exec(new SoftMax(probs, probs, 3));
        dProbs = Nd4j.randn(DataType.FLOAT, batch, heads, tokens, tokens);
        biasGrad = Nd4j.zeros(DataType.FLOAT, hidden);
        qh = Nd4j.randn(DataType.FLOAT, batch, heads, tokens, width / heads);
        kh = Nd4j.randn(DataType.FLOAT, batch, heads, tokens, width / heads);
        ctx = Nd4j.create(DataType.FLOAT, batch, heads, tokens, width / heads);
        // AdamW over the matrices and vectors of one transformer block of this width (12·W² + 13·W values)
        params = new ArrayList<>();
        long[][] shapes = {{3 * width, width}, {3 * width}, {width, width}, {width}, {width}, {width},
                {hidden, width}, {hidden}, {width, hidden}, {width}, {width}, {width}};
        for (int i = 0; i < shapes.length; i++) {
            Parameter p = Parameter.trainable("p" + i, shapes[i]);
            init.normal(p, 0.02);
            p.grad().assign(Nd4j.randn(DataType.FLOAT, shapes[i]));
            params.add(p);
        }
        adamw = AdamW.vitDefaults(params, 0.2);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Kernels.setEnabled(true);
        adamw.close();
    }

    /** LayerNorm forward (saving x̂ and rstd) and backward: the layer's own code. */
    @Benchmark
    public void layerNormForwardBackward() {
        try (Tape tape = new Tape()) {
            INDArray y = ln.forward(x, tape);
            INDArray dx = ln.backward(dy, tape);
            Tensors.release(y, dx);
        }
    }

    /**
     * QuickGELU backward as the MLP calls it, given the forward's input and output (fused: one pass with no
     * exponential; unfused: the eight ND4J ops that recompute σ).
     */
    @Benchmark
    public void quickGeluBackward() {
        Tensors.release(Activation.QUICK_GELU.backward(u, h, du));
    }

    /**
     * The attention's two forward products per head, scores {@code S = Q·Kᵀ} into a copy of P's buffer and the
     * context {@code O = P·V} (K standing in for V): fused, one OpenBLAS call per head ({@link SmallGemm}); unfused,
     * libnd4j's batched {@code matmul}, as the layer ran before.
     */
    @Benchmark
    public INDArray attentionProducts() {
        INDArray s = dProbs.dup();
        if (!(fused && SmallGemm.batched(qh, kh, s, false, true))) Nd4j.matmul(qh, kh, s, false, true, false);
        if (!(fused && SmallGemm.batched(probs, kh, ctx, false, false))) Nd4j.matmul(probs, kh, ctx, false, false, false);
        s.close();
        return ctx;
    }

    /** The softmax backward {@code dP ← P ∘ (dP − Σ dP∘P)}, in place on a copy of dP. */
    @Benchmark
    public INDArray softmaxBackward() {
        INDArray d = dProbs.dup();
        if (fused && Kernels.applies(probs, d)) {
            Kernels.softmaxBackwardInPlace(probs, d);
        } else {
            INDArray dpp = d.mul(probs);
            INDArray rowSum = dpp.sum(true, 3);
            d.subi(rowSum).muli(probs);
            Tensors.release(dpp, rowSum);
        }
        d.close();
        return d;
    }

    /** A bias gradient: {@code db += Σ_rows du} over the MLP's hidden activations. */
    @Benchmark
    public void biasGradient() {
        INDArray rows = du.reshape('c', batch * tokens, hidden);
        if (fused && Kernels.applies(rows, biasGrad)) {
            Kernels.addColumnSums(rows, biasGrad);
        } else {
            INDArray s = Tensors.sumFirst(rows);
            biasGrad.addi(s);
            s.close();
        }
    }

    /** One AdamW step over the parameters of one transformer block (decay on the matrices). */
    @Benchmark
    public void adamwStep() {
        adamw.step(1e-4);
    }
}
