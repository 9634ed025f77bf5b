package org.clip4j.train.optim;

import org.clip4j.core.nn.Parameter;

import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Updates trainable parameters in place from their accumulated gradients. The learning rate is set per step by
 * the caller (a {@link LrSchedule}); the optimiser owns its per-parameter state, which a checkpoint saves and
 * restores by parameter name.
 */
public interface Optimizer extends AutoCloseable {
    /** One update of every parameter that has a gradient, at learning rate {@code lr}. */
    void step(double lr);

    /** The parameters this optimiser updates, in state-dict order. */
    List<Parameter> parameters();

    /** Number of steps taken so far. */
    long steps();

    /**
     * The optimiser state as named tensors (e.g. {@code exp_avg.visual.proj}); the arrays are the live state,
     * copy them before modifying.
     */
    Map<String, INDArray> state();

    /** Restores the state written by {@link #state()} and the step count. */
    void loadState(Map<String, INDArray> state, long steps);

    /** Releases the state's native memory. */
    @Override
    void close();
}
