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
    /** Null when the Vector API is used, else why not. */
    private static final String OFF = check();
    /** Whether the Vector API loops run. */
    static final boolean ENABLED = OFF == null;

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

    /** One line for {@code clip --version}: "on (256-bit)" or "off (why)". */
    public static String describe() {
        return ENABLED ? String.format(Locale.ROOT, "on (%d-bit)", VectorSums.preferredBits()) : OFF;
    }
}
