package org.clip4j.train.optim;

import org.clip4j.core.ClipException;
import org.clip4j.core.nn.Parameter;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Restores optimiser state saved as {@code <kind>.<parameter name>} tensors, checking names and shapes. */
final class StateEntries {
    private StateEntries() {
    }

    /**
     * Copies every entry of {@code state} into the map of its kind ({@code targets}: prefix such as
     * {@code "exp_avg."} → per-parameter map), cast to the parameter's type; throws a {@link ClipException} naming
     * the entry for an unknown kind, an unknown parameter or a wrong shape.
     */
    static void restore(String optimizer, Map<String, INDArray> state, List<Parameter> params,
                        Map<String, Map<String, INDArray>> targets) {
        Map<String, Parameter> byName = new LinkedHashMap<>();
        for (Parameter p : params) byName.put(p.name(), p);
        for (Map.Entry<String, INDArray> e : state.entrySet()) {
            String key = e.getKey();
            String prefix = targets.keySet().stream().filter(key::startsWith).findFirst()
                    .orElseThrow(() -> new ClipException(optimizer + " state: unexpected entry '" + key + "'"));
            String name = key.substring(prefix.length());
            Parameter p = byName.get(name);
            if (p == null) throw new ClipException(optimizer + " state '" + key + "': the model has no trainable '" + name + "'");
            if (!Arrays.equals(p.shape(), e.getValue().shape())) {
                throw new ClipException(optimizer + " state '" + key + "': shape " + Arrays.toString(e.getValue().shape())
                        + ", expected " + Arrays.toString(p.shape()));
            }
            targets.get(prefix).put(name, e.getValue().castTo(p.value().dataType()).dup());
        }
    }
}
