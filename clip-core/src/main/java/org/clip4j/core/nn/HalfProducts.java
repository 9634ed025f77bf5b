package org.clip4j.core.nn;

import org.clip4j.core.ClipException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.Locale;

/**
 * Where the half-precision matrix products of {@link Precision#gemm} and {@link Precision#matmul} run: in the
 * ND4J backend's own bf16/fp16 product, or emulated in float32.
 *
 * <p>Autocast's product in a half type is: operands rounded to the half type, products summed in float32, the
 * sum rounded to the half type. The emulation does exactly that — both operands cast to the half type
 * (round-to-nearest-even, as a cast does) and back to float32 (exact), a float32 product, the result cast to the
 * half type — so its result is bit for bit the float32 product of the rounded operands, rounded. A native
 * product that also sums in float32 (oneDNN's bf16 gemm on CPUs with AVX-512-BF16, cuBLAS) differs from it only
 * by its summation order.
 *
 * <p>Not every backend has such a product. ND4J 1.0.0-M2.1's oneDNN builds fail every bf16 product on CPUs
 * without AVX-512-BF16 (an AVX2 CPU, for example), and its plain CPU build runs bf16 and fp16 products in a
 * generic loop that sums in the half type (relative errors of several percent at k = 192, and about 700 times
 * slower than float32 for fp16). The path is therefore chosen once per process and half type by a probe:
 * an [8, 96] · [8, 96]ᵀ product and a batched [2, 8, 96] · [2, 8, 96]ᵀ one of small dyadic values whose exact
 * sums need 20 significant bits, so that any float32 summation gives the exact sum and its rounding is known.
 * The native product is used only if it runs and returns exactly that; otherwise the products are emulated.
 * The choice is logged once (SLF4J, INFO). The system property {@value #PROPERTY} overrides it: {@code auto}
 * (the default: probe), {@code native} (no probe; a failing product is reported as a {@link ClipException}) or
 * {@code emulated}.
 */
public final class HalfProducts {
    private static final Logger LOG = LoggerFactory.getLogger(HalfProducts.class);

    /** System property choosing the path: {@code auto} (default), {@code native} or {@code emulated}. */
    public static final String PROPERTY = "clip4j.halfGemm";

    /** How half-precision products run. */
    public enum Path {
        /** The backend's own product in the half type. */
        NATIVE,
        /** Operands rounded to the half type, a float32 product, the result rounded to the half type. */
        EMULATED
    }

    /** The paths chosen for bf16 and fp16 (null until the first product in that type); read without a lock. */
    private static volatile Path bf16, fp16;
    /** Set by {@link #force}: a mode that wins over the system property; null = use the property. */
    private static String forced;

    private HalfProducts() {
    }

    /**
     * The path products in {@code p} take in this process (probing the backend on first use in auto mode).
     *
     * @throws IllegalArgumentException for {@link Precision#FP32} or a bad {@value #PROPERTY} value
     */
    public static Path path(Precision p) {
        if (!p.isHalf()) throw new IllegalArgumentException("half-precision products: " + p + " is not a half type");
        Path chosen = p == Precision.BF16 ? bf16 : fp16;
        return chosen != null ? chosen : choose(p);
    }

    /** Chooses (probing at most once per type until {@link #force} resets) and remembers the path of p. */
    private static synchronized Path choose(Precision p) {
        Path chosen = p == Precision.BF16 ? bf16 : fp16;
        if (chosen != null) return chosen; // another thread chose while this one waited
        chosen = decide(p);
        if (p == Precision.BF16) bf16 = chosen;
        else fp16 = chosen;
        return chosen;
    }

    /**
     * Overrides the system property for this process and forgets earlier choices: {@code "auto"},
     * {@code "native"}, {@code "emulated"}, or null to go back to the property. For tests and applications that
     * cannot set a system property before the first product.
     */
    public static synchronized void force(String mode) {
        if (mode != null) parseMode(mode, "HalfProducts.force");
        forced = mode;
        bf16 = null;
        fp16 = null;
    }

    private static String parseMode(String mode, String where) {
        String m = mode.trim().toLowerCase(Locale.ROOT);
        if (!m.equals("auto") && !m.equals("native") && !m.equals("emulated")) {
            throw new IllegalArgumentException(where + " '" + mode + "': expected auto, native or emulated");
        }
        return m;
    }

    private static Path decide(Precision p) {
        String mode = forced != null ? parseMode(forced, "HalfProducts.force")
                : parseMode(System.getProperty(PROPERTY, "auto"), "system property " + PROPERTY);
        String type = p.cliName();
        switch (mode) {
            case "native" -> {
                LOG.info("{} matrix products: native {} product of the ND4J backend (forced by {}=native)", type,
                        type, PROPERTY);
                return Path.NATIVE;
            }
            case "emulated" -> {
                LOG.info("{} matrix products: emulated (operands rounded to {}, float32 product, result rounded "
                        + "to {}; forced by {}=emulated)", type, type, type, PROPERTY);
                return Path.EMULATED;
            }
            default -> {
                String problem = probe(p);
                if (problem == null) {
                    LOG.info("{} matrix products: native {} product of the ND4J backend (a probe product summed "
                            + "in float32 and rounded exactly; -D{}=emulated to emulate instead)", type, type, PROPERTY);
                    return Path.NATIVE;
                }
                LOG.info("{} matrix products: emulated (operands rounded to {}, float32 product, result rounded to "
                        + "{}): the ND4J backend's own {} product {}", type, type, type, type, problem);
                return Path.EMULATED;
            }
        }
    }

    /**
     * Null if the native products are right, else what is wrong with them (for the log). Runs in a scope of its
     * own: the first half product of a process probes from inside whatever layer computes it, and leaves nothing
     * behind there. Results are compared on the Java side (ND4J's {@code equals} makes temporaries of its own).
     */
    private static String probe(Precision p) {
        DataType h = p.computeType();
        int m = 8, k = 96;
        // Values 0.5 + j/64 (j < 64): 7 significant bits, exact in bf16 and fp16. Products are multiples of 2⁻¹²
        // below 2.25 and row sums below 2⁸, so every partial sum is exact in float32 in any order.
        float[][] a = new float[m][k], b = new float[m][k];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) {
                a[i][j] = 0.5f + ((i * 37 + j * 11) % 64) / 64f;
                b[i][j] = 0.5f + ((i * 13 + j * 29 + 5) % 64) / 64f;
            }
        }
        try (Scope s = Scope.open()) {
            INDArray af = s.track(Nd4j.createFromArray(a)), bf = s.track(Nd4j.createFromArray(b)); // [m, k] float32
            INDArray want = s.track(Nd4j.create(DataType.FLOAT, m, m));
            Nd4j.gemm(af, bf, want, false, true, 1.0, 0.0);                     // [m, m], exact sums
            INDArray wantHalf = s.track(want.castTo(h));
            float[] wantH = s.track(wantHalf.castTo(DataType.FLOAT)).data().asFloat(); // rounded once
            INDArray ah = s.track(af.castTo(h)), bh = s.track(bf.castTo(h));
            try {
                INDArray got = s.track(Nd4j.create(h, m, m));
                Nd4j.exec(DynamicCustomOp.builder("matmul").addInputs(ah, bh).addOutputs(got)
                        .addIntegerArguments(0, 1).build());
                float[] gotF = s.track(got.castTo(DataType.FLOAT)).data().asFloat();
                if (!Arrays.equals(gotF, wantH)) {
                    return "does not sum in float32 (a probe product differs from the rounded exact one by up to "
                            + maxAbsDiff(gotF, wantH, 0) + " in [" + m + ", " + k + "] · [" + m + ", " + k + "]ᵀ)";
                }
                INDArray a3 = s.track(Nd4j.create(h, 2, m, k)), b3 = s.track(Nd4j.create(h, 2, m, k)); // [2, m, k]
                for (int i = 0; i < 2; i++) {
                    a3.slice(i).assign(ah);
                    b3.slice(i).assign(bh);
                }
                INDArray got3 = s.track(Nd4j.create(h, 2, m, m));
                Nd4j.exec(DynamicCustomOp.builder("matmul").addInputs(a3, b3).addOutputs(got3)
                        .addIntegerArguments(0, 1).build());                  // [2, m, m]
                float[] got3f = s.track(got3.castTo(DataType.FLOAT)).data().asFloat();
                for (int i = 0; i < 2; i++) {
                    if (maxAbsDiff(got3f, wantH, i * m * m) != 0) {
                        return "does not sum in float32 in batched products (a probe product differs from the "
                                + "rounded exact one)";
                    }
                }
                return null;
            } catch (RuntimeException e) {
                return "fails on this CPU (ND4J may have logged this one-time probe's failure just before)";
            }
        }
    }

    /** max |got[offset + i] − want[i]| over want's length (NaN-safe: a NaN counts as infinitely far). */
    private static float maxAbsDiff(float[] got, float[] want, int offset) {
        float max = 0;
        for (int i = 0; i < want.length; i++) {
            float d = Math.abs(got[offset + i] - want[i]);
            if (!(d <= max)) max = Float.isNaN(d) ? Float.POSITIVE_INFINITY : d;
        }
        return max;
    }

    /**
     * {@code c = alpha · op(a) · op(b) + beta · c} with the product emulated in {@code p}: a float32 product of
     * the operands rounded to the half type, rounded to the half type. c keeps its type; the temporaries belong
     * to a scope of this call.
     */
    static INDArray emulatedGemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha,
                                 double beta, Precision p) {
        try (Scope s = Scope.open()) {
            INDArray ar = rounded(a, p, s), br = rounded(b, p, s);
            INDArray prod = s.track(Nd4j.gemm(ar, br, transA, transB));       // [m, n] float32 sum of exact products
            INDArray prodH = s.track(prod.castTo(p.computeType()));            // the half-type result
            s.release(prod);
            Precision.accumulate(prodH, c, alpha, beta);
            return c;
        }
    }

    /** Batched {@code out = op(a) · op(b)} emulated in {@code p} (out of any floating type). */
    static INDArray emulatedMatmul(INDArray a, INDArray b, INDArray out, boolean transA, boolean transB,
                                   Precision p) {
        try (Scope s = Scope.open()) {
            INDArray ar = rounded(a, p, s), br = rounded(b, p, s);
            INDArray prod = s.track(Nd4j.matmul(ar, br, null, transA, transB, false)); // float32
            INDArray prodH = s.track(prod.castTo(p.computeType()));
            s.release(prod);
            out.assign(prodH);
            return out;
        }
    }

    /**
     * x rounded to p's half type (round to nearest even), as a new float32 array tracked by {@code s}; exact if
     * x has the half type.
     */
    private static INDArray rounded(INDArray x, Precision p, Scope s) {
        if (x.dataType() == p.computeType()) return s.track(x.castTo(DataType.FLOAT)); // exact widening
        INDArray h = s.track(x.castTo(p.computeType()));                               // round to nearest even
        INDArray f = s.track(h.castTo(DataType.FLOAT));
        s.release(h);
        return f;
    }

    /** The error a failing native product becomes: what failed and what to do, no backend op names. */
    static ClipException nativeFailure(Precision p, INDArray a, INDArray b, boolean transA, boolean transB,
                                       RuntimeException cause) {
        return new ClipException("a " + p.cliName() + " matrix product " + Arrays.toString(a.shape())
                + (transA ? "ᵀ" : "") + " · " + Arrays.toString(b.shape()) + (transB ? "ᵀ" : "")
                + " failed in the ND4J backend's native " + p.cliName() + " product (" + PROPERTY + "=native): run"
                + " with -D" + PROPERTY + "=auto or =emulated to emulate it in float32, or use --precision fp32",
                cause);
    }
}
