package org.clip4j.core.nn;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runs a test class with libnd4j limited to one thread, then restores the previous limits. Tests that make
 * thousands of tiny ops (finite differences, many small steps) are many times faster this way on a small shared
 * machine, where OpenMP threads waiting for a busy core dominate the run time. Results do not depend on it.
 */
public final class OneThread implements BeforeAllCallback, AfterAllCallback {
    private int threads;
    private int masterThreads;

    @Override
    public void beforeAll(ExtensionContext context) {
        Environment env = Nd4j.getEnvironment();
        threads = env.maxThreads();
        masterThreads = env.maxMasterThreads();
        env.setMaxThreads(1);
        env.setMaxMasterThreads(1);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Environment env = Nd4j.getEnvironment();
        env.setMaxThreads(threads);
        env.setMaxMasterThreads(masterThreads);
    }
}
