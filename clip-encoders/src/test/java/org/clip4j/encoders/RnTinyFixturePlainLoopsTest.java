package org.clip4j.encoders;

import org.clip4j.core.nn.VectorApi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link RnTinyFixtureTest} with clip4j's Vector API loops turned off: the path of a JVM started without
 * {@code --add-modules jdk.incubator.vector} (BatchNorm's channel sums in plain Java, the ReLU's backward as its own
 * passes instead of inside the BatchNorm's). The tests' JVM has the module, so {@link RnTinyFixtureTest} itself
 * runs the Vector API loops.
 */
class RnTinyFixturePlainLoopsTest extends RnTinyFixtureTest {
    @BeforeAll
    static void plainLoops() {
        VectorApi.setEnabled(false);
    }

    @AfterAll
    static void vectorLoopsAgain() {
        VectorApi.setEnabled(true);
    }
}
