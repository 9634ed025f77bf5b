package org.clip4j.core.torch;

import org.clip4j.core.safetensors.HalfFloats;

/**
 * float → nearest binary16 (ties to even, subnormals included) → float, as {@code tensor.half()} rounds; uses
 * the safetensors writer's conversion, which SafetensorsWriter's tests check against numpy.
 */
final class HalfRounding {
    private HalfRounding() {
    }

    static float round(float f) {
        return HalfFloats.halfToFloat(HalfFloats.floatToHalf(f));
    }
}
