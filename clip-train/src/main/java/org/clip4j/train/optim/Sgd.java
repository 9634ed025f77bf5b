package org.clip4j.train.optim;

import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Scope;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent as {@code torch.optim.SGD} (dampening 0, no Nesterov): weight decay is coupled
 * (added to the gradient, {@code g + wd·p}) and applied only to the decay group of {@link Parameter#decay()};
 * with momentum μ &gt; 0 the buffer starts as the first gradient and then {@code b ← μ·b + g}. Without decay and
 * momentum a step is exactly {@code p ← p − lr·g}.
 */
public final class Sgd implements Optimizer {
    private final List<Parameter> params = new ArrayList<>();
    private final double momentum, weightDecay;
    private final Map<String, INDArray> buffers = new LinkedHashMap<>();
    private long steps;

    public Sgd(List<Parameter> params, double momentum, double weightDecay) {
        for (Parameter p : params) if (p.isTrainable()) this.params.add(p);
        this.momentum = momentum;
        this.weightDecay = weightDecay;
    }

    @Override
    public void step(double lr) {
        steps++;
        for (Parameter p : params) {
            if (!p.hasGrad()) continue;
            INDArray w = p.value();
            // The momentum buffer outlives the step: made before the step's scope opens, not inside it.
            INDArray b = momentum == 0 ? null : buffers.get(p.name());
            boolean first = momentum != 0 && b == null;
            if (first) buffers.put(p.name(), b = Nd4j.createUninitialized(w.dataType(), w.shape()));
            try (Scope s = Scope.open()) {
                INDArray d = s.track(p.grad().dup());                      // d = g (+ wd·p)
                if (p.decay() && weightDecay != 0) d.addi(s.track(w.mul(weightDecay)));
                if (first) {
                    b.assign(d);                                           // first step: b = d
                } else if (b != null) {
                    b.muli(momentum).addi(d);                              // b ← μ b + d
                    d.assign(b);
                }
                w.subi(d.muli(lr));
            }
        }
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
        buffers.forEach((k, v) -> s.put("momentum_buffer." + k, v));
        return s;
    }

    @Override
    public void loadState(Map<String, INDArray> state, long steps) {
        close();
        StateEntries.restore("SGD", state, params, Map.of("momentum_buffer.", buffers));
        this.steps = steps;
    }

    @Override
    public void close() {
        buffers.values().forEach(INDArray::close);
        buffers.clear();
    }
}
