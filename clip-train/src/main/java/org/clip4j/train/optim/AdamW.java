package org.clip4j.train.optim;

import org.clip4j.core.nn.Kernels;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Scope;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov &amp; Hutter) exactly as {@code torch.optim.AdamW} computes it (no amsgrad), with OpenCLIP's
 * two parameter groups: weight decay only where {@link Parameter#decay()} says so (matrices, embeddings,
 * kernels), none on gains, biases, BatchNorm/LayerNorm parameters and {@code logit_scale}.
 *
 * <p>Per parameter with gradient g at step t (1-based):
 * <pre>
 *   p ← p · (1 − lr·wd)                    (decoupled decay, decay group only; applied first as torch does)
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g²
 *   p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
 * </pre>
 * Defaults follow the CLIP paper/OpenCLIP: β1 0.9, β2 0.98 and ε 1e-6 for ViTs ({@link #vitDefaults}), β2 0.999
 * and ε 1e-8 for ResNets ({@link #resnetDefaults}), weight decay 0.2.
 */
public final class AdamW implements Optimizer {
    private static final Logger LOG = LoggerFactory.getLogger(AdamW.class);

    private final List<Parameter> params;
    private final double beta1, beta2, eps, weightDecay;
    private final Map<String, INDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, INDArray> expAvgSq = new LinkedHashMap<>();
    private long steps;

    /** AdamW over the trainable entries of {@code params}. */
    public AdamW(List<Parameter> params, double beta1, double beta2, double eps, double weightDecay) {
        this.params = new ArrayList<>();
        for (Parameter p : params) if (p.isTrainable()) this.params.add(p);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        List<String> decayed = new ArrayList<>(), plain = new ArrayList<>();
        for (Parameter p : this.params) (p.decay() ? decayed : plain).add(p.name());
        LOG.info("AdamW: weight decay {} on {} tensors, none on {} (gains, biases, norms, logit_scale): {}",
                weightDecay, decayed.size(), plain.size(), plain);
    }

    /** β1 0.9, β2 0.98, ε 1e-6 (the CLIP paper's ViT settings). */
    public static AdamW vitDefaults(List<Parameter> params, double weightDecay) {
        return new AdamW(params, 0.9, 0.98, 1e-6, weightDecay);
    }

    /** β1 0.9, β2 0.999, ε 1e-8 (the CLIP paper's ResNet settings). */
    public static AdamW resnetDefaults(List<Parameter> params, double weightDecay) {
        return new AdamW(params, 0.9, 0.999, 1e-8, weightDecay);
    }

    @Override
    public void step(double lr) {
        steps++;
        double bc1 = 1 - Math.pow(beta1, steps);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, steps));
        double stepSize = lr / bc1;
        for (Parameter p : params) {
            if (!p.hasGrad()) continue;
            INDArray w = p.value(), g = p.grad();
            INDArray m = expAvg.computeIfAbsent(p.name(), k -> Nd4j.zeros(w.dataType(), w.shape()));
            INDArray v = expAvgSq.computeIfAbsent(p.name(), k -> Nd4j.zeros(w.dataType(), w.shape()));
            if (fusedApplies(w, g, m, v)) {
                fusedStep(w, g, m, v, lr, p.decay() ? weightDecay : 0, stepSize, bc2Sqrt);
                continue;
            }
            if (p.decay() && weightDecay != 0) w.muli(1 - lr * weightDecay);
            // torch 1.13's order of operations: m.mul_(β1).add_(g, alpha=1−β1), v.mul_(β2).addcmul_(g, g, 1−β2)
            try (Scope s = Scope.open()) { // the update's temporaries (m and v were made above, outside it)
                INDArray g1 = s.track(g.mul(1 - beta1));
                m.muli(beta1).addi(g1);                                    // m ← β1 m + (1−β1) g
                INDArray g2 = s.track(g.mul(g)).muli(1 - beta2);
                v.muli(beta2).addi(g2);                                    // v ← β2 v + (1−β2) g²
                INDArray denom = s.track(Transforms.sqrt(v, true)).divi(bc2Sqrt).addi(eps);
                INDArray upd = s.track(m.div(denom)).muli(stepSize);
                w.subi(upd);                                               // p ← p − step · m / denom
            }
        }
    }

    /**
     * Contiguous FLOAT arrays of one shape on the CPU backend: updated in one pass over their native buffers (on
     * CUDA the buffers live on the device, so the ND4J path runs instead).
     */
    private static boolean fusedApplies(INDArray... a) {
        if (!Nd4j.getEnvironment().isCPU() || !Kernels.enabled()) return false;
        for (INDArray x : a) {
            if (x.dataType() != org.nd4j.linalg.api.buffer.DataType.FLOAT || x.isView() || x.ordering() != 'c'
                    || x.length() != a[0].length()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The same update as the ND4J path in one pass over the arrays' native buffers ({@link Kernels#adamw}): eight
     * array operations and four temporaries fewer (the optimiser step dominated small-model steps).
     */
    private void fusedStep(INDArray w, INDArray g, INDArray m, INDArray v, double lr, double wd, double stepSize,
                           double bc2Sqrt) {
        Kernels.adamw(w, g, m, v, wd != 0 ? (float) (1 - lr * wd) : 1f, (float) beta1, (float) (1 - beta1),
                (float) beta2, (float) (1 - beta2), (float) bc2Sqrt, (float) eps, (float) stepSize);
    }

    @Override
    public List<Parameter> parameters() {
        return List.copyOf(params);
    }

    @Override
    public long steps() {
        return steps;
    }

    @Override
    public Map<String, INDArray> state() {
        Map<String, INDArray> s = new LinkedHashMap<>();
        expAvg.forEach((k, v) -> s.put("exp_avg." + k, v));
        expAvgSq.forEach((k, v) -> s.put("exp_avg_sq." + k, v));
        return s;
    }

    @Override
    public void loadState(Map<String, INDArray> state, long steps) {
        close();
        // "exp_avg_sq." first: "exp_avg." is not its prefix, but keep the longer match first all the same
        Map<String, Map<String, INDArray>> targets = new LinkedHashMap<>();
        targets.put("exp_avg_sq.", expAvgSq);
        targets.put("exp_avg.", expAvg);
        StateEntries.restore("AdamW", state, params, targets);
        this.steps = steps;
    }

    @Override
    public void close() {
        expAvg.values().forEach(INDArray::close);
        expAvgSq.values().forEach(INDArray::close);
        expAvg.clear();
        expAvgSq.clear();
    }
}
