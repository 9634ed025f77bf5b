package org.clip4j.encoders;

import org.clip4j.core.nn.Conv2d;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link RnTinyFixtureTest} with libnd4j's convolution ops ({@link Conv2d.Algorithm#NATIVE}, the default of the
 * oneDNN-AVX512 build) and therefore channels-last activations through the whole tower. Tests run on the plain ND4J
 * build, where the ops are libnd4j's own; this checks the wiring and the layout handling of every layer.
 */
class RnTinyFixtureNativeConvTest extends RnTinyFixtureTest {
    @BeforeAll
    static void nativeConvs() {
        ((ModifiedResNet) model.visual()).convAlgorithm(Conv2d.Algorithm.NATIVE);
    }
}
