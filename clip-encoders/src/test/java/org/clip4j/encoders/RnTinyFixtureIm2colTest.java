package org.clip4j.encoders;

import org.clip4j.core.nn.Conv2d;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link RnTinyFixtureTest} with the {@link Conv2d.Algorithm#IM2COL} convolutions (the path of double precision
 * and of backends without the fused kernels): NCHW activations through the whole tower, one product per
 * convolution for the batch. The default algorithm is {@link Conv2d.Algorithm#ONEDNN} (channels last) wherever
 * oneDNN's binding loads.
 */
class RnTinyFixtureIm2colTest extends RnTinyFixtureTest {
    @BeforeAll
    static void im2colConvs() {
        ((ModifiedResNet) model.visual()).convAlgorithm(Conv2d.Algorithm.IM2COL);
    }
}
