package org.clip4j.core.image;

/**
 * The per-output-pixel filter weights of Pillow's separable bicubic resampling along one axis (Pillow 9.4
 * {@code Resample.c}, {@code precompute_coeffs}), computed in double exactly as the C code does so that the
 * fixed-point weights derived from them are bit-identical.
 *
 * <p>The kernel is Keys' cubic convolution with {@code a = -0.5} and support 2. When downscaling by a factor
 * {@code s > 1} the kernel is stretched by {@code s} (support {@code 2s}, argument divided by {@code s}): this is
 * Pillow's built-in antialiasing. For output index {@code i}, {@code center = (i + 0.5) * in / out} and the taps are
 * the input indices {@code [min(i), min(i) + count(i))}, each weighted {@code k((x - center + 0.5) / s)} and
 * normalised to sum 1.
 */
final class ResampleCoefficients {
    /**
     * Fractional bits of the fixed-point weights used for 8-bit images ({@code PRECISION_BITS = 32 - 8 - 2} in
     * Pillow): 22 bits leave room for 8-bit samples times weights whose absolute sum is a little above 1 without
     * overflowing a signed 32-bit accumulator.
     */
    static final int PRECISION_BITS = 22;

    private static final double BICUBIC_SUPPORT = 2.0;

    final int inSize;
    final int outSize;
    /** Stride of {@link #weights} per output pixel ({@code ksize} in Pillow). */
    final int kernelSize;
    /** First input index of each output pixel. */
    final int[] min;
    /** Number of input taps of each output pixel. */
    final int[] count;
    /** {@code [outSize, kernelSize]} normalised weights; unused taps are 0. */
    final double[] weights;

    private ResampleCoefficients(int inSize, int outSize, int kernelSize, int[] min, int[] count, double[] weights) {
        this.inSize = inSize;
        this.outSize = outSize;
        this.kernelSize = kernelSize;
        this.min = min;
        this.count = count;
        this.weights = weights;
    }

    /** Keys cubic with a = -0.5, written in the same operation order as Pillow's {@code bicubic_filter}. */
    static double bicubic(double x) {
        final double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /** Coefficients for resampling {@code inSize} samples to {@code outSize} (the whole axis, no box). */
    static ResampleCoefficients bicubic(int inSize, int outSize) {
        if (inSize <= 0 || outSize <= 0) {
            throw new IllegalArgumentException("sizes must be positive, got " + inSize + " -> " + outSize);
        }
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = BICUBIC_SUPPORT * filterScale;
        int kernelSize = (int) Math.ceil(support) * 2 + 1;
        int[] min = new int[outSize];
        int[] count = new int[outSize];
        double[] weights = new double[outSize * kernelSize];
        double invScale = 1.0 / filterScale;
        for (int i = 0; i < outSize; i++) {
            double center = (i + 0.5) * scale;
            // (int) truncates toward zero as the C cast does; "+ 0.5" rounds the window ends.
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
            int base = i * kernelSize;
            double sum = 0.0;
            for (int x = 0; x < xmax; x++) {
                double w = bicubic((x + xmin - center + 0.5) * invScale);
                weights[base + x] = w;
                sum += w;
            }
            if (sum != 0.0) {
                for (int x = 0; x < xmax; x++) weights[base + x] /= sum;
            }
            min[i] = xmin;
            count[i] = xmax;
        }
        return new ResampleCoefficients(inSize, outSize, kernelSize, min, count, weights);
    }

    /**
     * The weights as signed fixed point with {@link #PRECISION_BITS} fractional bits: {@code (int)(w * 2^22 ± 0.5)}
     * with the sign of {@code w}, i.e. rounded half away from zero then truncated, as Pillow's
     * {@code normalize_coeffs_8bpc}.
     */
    int[] fixedPoint() {
        int[] k = new int[weights.length];
        double one = 1 << PRECISION_BITS;
        for (int i = 0; i < weights.length; i++) {
            double w = weights[i];
            k[i] = w < 0 ? (int) (-0.5 + w * one) : (int) (0.5 + w * one);
        }
        return k;
    }
}
