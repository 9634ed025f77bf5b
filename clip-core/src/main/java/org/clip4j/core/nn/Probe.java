package org.clip4j.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Receives named intermediate activations during forward (for debugging and conformance tests). The array is
 * only valid during the call: copy it to keep it.
 */
@FunctionalInterface
public interface Probe {
    void accept(String name, INDArray value);
}
