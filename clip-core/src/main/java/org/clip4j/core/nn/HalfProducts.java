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

    /** Null if the native products are right, else what is wrong with them (for the log). */
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
        INDArray af = Nd4j.createFromArray(a), bf = Nd4j.createFromArray(b);   // [m, k] float32
        INDArray want = Nd4j.gemm(af, bf, false, true);                        // [m, m], exact sums
        INDArray wantH = want.castTo(h).castTo(DataType.FLOAT);                 // rounded once
        INDArray ah = af.castTo(h), bh = bf.castTo(h);
        INDArray got = null, got3 = null, a3 = null, b3 = null, got3f = null, gotF = null;
        try {
            got = Nd4j.create(h, m, m);
            Nd4j.exec(DynamicCustomOp.builder("matmul").addInputs(ah, bh).addOutputs(got)
                    .addIntegerArguments(0, 1).build());
            gotF = got.castTo(DataType.FLOAT);
            if (!gotF.equals(wantH)) {
                return "does not sum in float32 (a probe product differs from the rounded exact one by up to "
                        + gotF.sub(wantH).amaxNumber() + " in [" + m + ", " + k + "] · [" + m + ", " + k + "]ᵀ)";
            }
            a3 = Nd4j.concat(0, ah.reshape(1, m, k), ah.reshape(1, m, k));     // [2, m, k]
            b3 = Nd4j.concat(0, bh.reshape(1, m, k), bh.reshape(1, m, k));
            got3 = Nd4j.matmul(a3, b3, null, false, true, false);             // [2, m, m]
            got3f = got3.castTo(DataType.FLOAT);
            for (int s = 0; s < 2; s++) {
                INDArray slice = got3f.slice(s);
                if (!slice.equals(wantH)) {
                    return "does not sum in float32 in batched products (a probe product differs from the rounded "
                            + "exact one)";
                }
            }
            return null;
        } catch (RuntimeException e) {
            return "fails on this CPU (ND4J may have logged this one-time probe's failure just before)";
        } finally {
            Tensors.release(af, bf, want, wantH, ah, bh, got, gotF, a3, b3, got3, got3f);
        }
    }

    /**
     * {@code c = alpha · op(a) · op(b) + beta · c} with the product emulated in {@code p}: a float32 product of
     * the operands rounded to the half type, rounded to the half type. c keeps its type.
     */
    static INDArray emulatedGemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha,
                                 double beta, Precision p) {
        INDArray ar = rounded(a, p), br = rounded(b, p);
        INDArray prod = Nd4j.gemm(ar, br, transA, transB);         // [m, n] float32 sum of exact products
        INDArray prodH = prod.castTo(p.computeType());             // the half-type result
        try {
            Precision.accumulate(prodH, c, alpha, beta);
            return c;
        } finally {
            if (ar != a) Tensors.release(ar);
            if (br != b) Tensors.release(br);
            Tensors.release(prod, prodH);
        }
    }

    /** Batched {@code op(a) · op(b)} emulated in {@code p}, into out if given, else a new float32 array. */
    static INDArray emulatedMatmul(INDArray a, INDArray b, INDArray out, boolean transA, boolean transB,
                                   Precision p) {
        INDArray ar = rounded(a, p), br = rounded(b, p);
        INDArray prod = Nd4j.matmul(ar, br, null, transA, transB, false); // float32
        INDArray prodH = prod.castTo(p.computeType());
        try {
            if (out == null) {
                DataType t = a.dataType() == p.computeType() ? DataType.FLOAT : a.dataType();
                return prodH.castTo(t);
            }
            out.assign(prodH);
            return out;
        } finally {
            if (ar != a) Tensors.release(ar);
            if (br != b) Tensors.release(br);
            Tensors.release(prod, prodH);
        }
    }

    /** x rounded to p's half type (round to nearest even), as a new float32 array; exact if x has the half type. */
    private static INDArray rounded(INDArray x, Precision p) {
        if (x.dataType() == p.computeType()) return x.castTo(DataType.FLOAT); // exact widening
        INDArray h = x.castTo(p.computeType());                               // round to nearest even
        INDArray f = h.castTo(DataType.FLOAT);
        Tensors.release(h);
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
