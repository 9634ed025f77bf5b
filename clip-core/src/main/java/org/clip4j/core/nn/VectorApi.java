package org.clip4j.core.nn;

import java.util.Locale;

/**
 * Whether clip4j's loops may use the incubating Vector API ({@code jdk.incubator.vector}, JDK 17): only when the
 * JVM was started with {@code --add-modules jdk.incubator.vector} (the {@code clip} launcher, the tests and the
 * benchmark scripts do), the CPU has 256-bit vectors (AVX2 or better on x86-64; without them the API runs as
 * plain Java, far slower) and {@code -Dclip4j.vector=false} was not given. Otherwise the plain loops run: the same
 * results, only slower (see {@link ChannelSums}).
 *
 * <p>Why an incubator module: JDK 17's JIT does not vectorise widening float32 to double, which the exact
 * BatchNorm statistics need for every activation; the Vector API does it four values per instruction.
 */
public final class VectorApi {
    private static final String MODULE = "jdk.incubator.vector";
    /** Null when the Vector API can be used, else why not. */
    private static final String OFF = check();
    /** Whether the Vector API loops can run here. */
    static final boolean AVAILABLE = OFF == null;
    private static volatile boolean enabled = AVAILABLE;

    private VectorApi() {
    }

    private static String check() {
        if ("false".equalsIgnoreCase(System.getProperty("clip4j.vector"))) return "off (-Dclip4j.vector=false)";
        if (ModuleLayer.boot().findModule(MODULE).isEmpty()) return "off (run java with --add-modules " + MODULE + ")";
        try {
            int bits = VectorSums.preferredBits(); // the first touch of VectorSums, which links against the module
            return bits >= 256 ? null : "off (" + bits + "-bit vectors on this CPU)";
        } catch (LinkageError | RuntimeException e) {
            return "off (" + e + ")";
        }
    }

    /** Whether the Vector API loops run (available and not turned off by {@link #setEnabled}). */
    public static boolean enabled() {
        return enabled;
    }

    /**
     * Turns the Vector API loops on or off for the whole process (tests and benchmarks compare both paths; the
     * results agree to double rounding in the sums, exactly elsewhere). On only where {@link #enabled} could be.
     */
    public static void setEnabled(boolean on) {
        if (on && !AVAILABLE) throw new IllegalStateException("the Vector API is " + OFF);
        enabled = on;
    }

    /** One line for {@code clip --version}: "on (…)" or "off (why)". */
    public static String describe() {
        return !AVAILABLE ? OFF : !enabled ? "off (turned off by the application)" : String.format(Locale.ROOT, "on (%d-bit vectors on this CPU; -Dclip4j.vector=false turns it off)",
                VectorSums.preferredBits());
    }
}
