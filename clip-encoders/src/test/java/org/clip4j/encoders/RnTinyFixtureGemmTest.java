package org.clip4j.encoders;

import org.clip4j.core.nn.Conv2d;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link RnTinyFixtureTest} with the {@link Conv2d.Algorithm#GEMM} convolutions (channels-last im2col + one
 * product, the path where oneDNN's binding cannot load): channels-last activations through the whole tower. The
 * default, and so {@link RnTinyFixtureTest} itself, is {@link Conv2d.Algorithm#ONEDNN} wherever the binding loads.
 */
class RnTinyFixtureGemmTest extends RnTinyFixtureTest {
    @BeforeAll
    static void gemmConvs() {
        ((ModifiedResNet) model.visual()).convAlgorithm(Conv2d.Algorithm.GEMM);
    }
}
