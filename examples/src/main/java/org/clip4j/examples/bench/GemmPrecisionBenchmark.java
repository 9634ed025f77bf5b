package org.clip4j.examples.bench;

import org.clip4j.core.nn.HalfProducts;
import org.clip4j.core.nn.Precision;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Linear-sized matrix products in float32 and in the half types, with and without the casts a mixed-precision
 * layer pays: one JSON line per (shape, variant) with the median and minimum seconds, GFLOP/s (of the median)
 * and the relative error (Frobenius norm) against the float32 product. The variants of one shape run round
 * robin, one repetition each in turn, so that load from other processes spreads over all of them alike.
 *
 * <pre>
 * OMP_NUM_THREADS=2 java -Dorg.bytedeco.javacpp.platform.extension=-onednn-avx512 -cp ... \
 *     org.clip4j.examples.bench.GemmPrecisionBenchmark [REPEATS] [fp16]
 * </pre>
 * Variants, for x [m, k] and a weight w [n, k] as {@code Linear}'s forward {@code x wᵀ}:
 * <ul>
 *   <li>{@code fp32}: {@code Nd4j.gemm} on FLOAT arrays (libnd4j's matmul, oneDNN in the oneDNN builds);</li>
 *   <li>{@code bf16-product}: libnd4j's {@code matmul} op on operands already in BFLOAT16, BFLOAT16 result
 *       (oneDNN's bf16 gemm; the op accepts no mixed types, so the result cannot be FLOAT);</li>
 *   <li>{@code bf16-with-casts}: {@link Precision#gemm} with {@link Precision#BF16}, i.e. what a layer pays:
 *       both operands cast to BFLOAT16, the product, the result cast back into the FLOAT output — on the path
 *       {@link HalfProducts} chooses (printed as {@code half_path}; run once with {@code -Dclip4j.halfGemm=native}
 *       and once with {@code =emulated} to time both);</li>
 *   <li>{@code bf16-cached-weight}: the same with the weight already cast (the per-step weight cache);</li>
 *   <li>{@code fp16-*}: the same in HALF, on a 16× smaller shape and only with the {@code fp16} argument
 *       (libnd4j has no oneDNN HALF matmul: its generic loop takes minutes at the full shape).</li>
 * </ul>
 * A variant that fails (the native bf16 product on CPUs without AVX-512-BF16 in the oneDNN builds) is reported
 * as an {@code error} line and left out.
 */
public final class GemmPrecisionBenchmark {
    public static void main(String[] args) {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 11;
        boolean fp16 = args.length > 1 && args[1].equals("fp16");
        System.out.printf(Locale.ROOT, "{\"native_build\": \"%s\", \"threads\": \"%s\", \"repeats\": %d}%n",
                System.getProperty("org.bytedeco.javacpp.platform.extension", "plain"),
                System.getenv().getOrDefault("OMP_NUM_THREADS", "default"), repeats);
        run(2048, 768, 3072, repeats, DataType.BFLOAT16);  // c_fc forward of ViT-B/32 at 2,048 tokens
        run(2048, 3072, 768, repeats, DataType.BFLOAT16);  // c_proj forward
        if (fp16) run(128, 768, 768, Math.min(repeats, 3), DataType.HALF);
    }

    /** x [m, k] × w [n, k]ᵀ → [m, n] in FLOAT and in {@code half}. */
    private static void run(long m, long k, long n, int repeats, DataType half) {
        INDArray x = Nd4j.rand(DataType.FLOAT, m, k).subi(0.5);            // [m, k]
        INDArray w = Nd4j.rand(DataType.FLOAT, n, k).subi(0.5).muli(0.1);  // [n, k]
        INDArray ref = Nd4j.create(DataType.FLOAT, m, n);                   // [m, n]
        Nd4j.gemm(x, w, ref, false, true, 1.0, 0.0);
        Precision p = half == DataType.BFLOAT16 ? Precision.BF16 : Precision.FP16;
        String tag = p.toString().toLowerCase(Locale.ROOT);
        System.out.printf(Locale.ROOT, "{\"precision\": \"%s\", \"half_path\": \"%s\"}%n", tag, HalfProducts.path(p));
        INDArray xh = x.castTo(half), wh = w.castTo(half);
        Map<String, Supplier<INDArray>> variants = new LinkedHashMap<>();
        variants.put("fp32", () -> {
            INDArray c = Nd4j.create(DataType.FLOAT, m, n);
            Nd4j.gemm(x, w, c, false, true, 1.0, 0.0);
            return c;
        });
        variants.put(tag + "-product", () -> {
            INDArray c = Nd4j.create(half, m, n);
            Nd4j.exec(DynamicCustomOp.builder("matmul").addInputs(xh, wh).addOutputs(c).addIntegerArguments(0, 1)
                    .build());
            return c;
        });
        variants.put(tag + "-with-casts", () -> {
            INDArray c = Nd4j.create(DataType.FLOAT, m, n);
            Precision.gemm(x, w, c, false, true, 1.0, 0.0, p);
            return c;
        });
        variants.put(tag + "-cached-weight", () -> {
            INDArray c = Nd4j.create(DataType.FLOAT, m, n);
            Precision.gemm(x, wh, c, false, true, 1.0, 0.0, p);
            return c;
        });
        String shape = "[" + m + "," + k + "]x[" + n + "," + k + "]T";
        double flops = 2.0 * m * n * k;
        Map<String, double[]> times = new LinkedHashMap<>();
        Map<String, Double> errors = new LinkedHashMap<>();
        for (Map.Entry<String, Supplier<INDArray>> v : List.copyOf(variants.entrySet())) { // warm-up and accuracy
            INDArray c;
            try {
                c = v.getValue().get();
            } catch (RuntimeException e) {
                System.out.printf(Locale.ROOT, "{\"shape\": \"%s\", \"variant\": \"%s\", \"error\": \"%s\"}%n",
                        "[" + m + "," + k + "]x[" + n + "," + k + "]T", v.getKey(), e.getClass().getSimpleName());
                variants.remove(v.getKey());
                continue;
            }
            INDArray f = c.castTo(DataType.FLOAT);
            INDArray d = f.sub(ref);
            errors.put(v.getKey(), d.norm2Number().doubleValue() / ref.norm2Number().doubleValue());
            List<INDArray> tmp = new ArrayList<>(List.of(c, d));
            if (f != c) tmp.add(f);
            tmp.forEach(INDArray::close);
            times.put(v.getKey(), new double[repeats]);
        }
        for (int i = 0; i < repeats; i++) {
            for (Map.Entry<String, Supplier<INDArray>> v : variants.entrySet()) {
                long t0 = System.nanoTime();
                INDArray c = v.getValue().get();
                times.get(v.getKey())[i] = (System.nanoTime() - t0) / 1e9;
                c.close();
            }
        }
        for (String v : variants.keySet()) {
            double[] t = times.get(v);
            Arrays.sort(t);
            double med = t[repeats / 2];
            System.out.printf(Locale.ROOT, "{\"shape\": \"%s\", \"variant\": \"%s\", \"median_s\": %.4f, \"min_s\": %.4f, "
                    + "\"gflops\": %.1f, \"rel_err\": %.2e}%n", shape, v, med, t[0], flops / med / 1e9, errors.get(v));
        }
        for (INDArray a : new INDArray[] {x, w, ref, xh, wh}) a.close();
    }

    private GemmPrecisionBenchmark() {
    }
}
