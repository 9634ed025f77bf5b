package org.clip4j.core.image;

/**
 * Pillow 9.4's {@code Image.resize(size, Image.BICUBIC)}, bit for bit: the resize that torchvision 0.14 (and hence
 * CLIP's and open_clip's preprocessing) applies to PIL images.
 *
 * <ul>
 *   <li>8-bit modes (L, RGB, CMYK, and RGBA/LA after premultiplication) use separable bicubic resampling with
 *       antialiasing (see {@link ResampleCoefficients}) and 22-bit fixed-point weights;</li>
 *   <li>mode I (16-bit grayscale PNGs) uses the same weights in double precision, rounded half away from zero;</li>
 *   <li>modes P and 1 are always resized with NEAREST, whatever filter was asked for (Pillow forces it);</li>
 *   <li>RGBA and LA are premultiplied by alpha before and un-premultiplied after ({@link AlphaPremultiply});</li>
 *   <li>an image that already has the requested size is returned unchanged.</li>
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class PillowResize {
    private static final int HALF = 1 << (ResampleCoefficients.PRECISION_BITS - 1);

    private PillowResize() {
    }

    /**
     * Resizes {@code image} to {@code width × height} as Pillow's {@code Image.resize((width, height), BICUBIC)}
     * would for the image's mode. Returns {@code image} itself when the size does not change.
     */
    public static DecodedImage resize(DecodedImage image, int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("target size must be positive, got " + width + "x" + height);
        }
        int w = image.width();
        int h = image.height();
        if (w == width && h == height) return image;
        ImageMode mode = image.mode();
        int c = mode.channels();
        return switch (mode) {
            case P, BILEVEL -> image.withSamples(width, height, nearest(image.rawSamples(), w, h, c, width, height));
            case I -> DecodedImage.wrapInt32(width, height, bicubicInt32(image.rawIntSamples(), w, h, width, height));
            case RGBA, LA -> {
                byte[] premultiplied = image.rawSamples().clone();
                AlphaPremultiply.premultiply(premultiplied, c);
                byte[] out = bicubic(premultiplied, w, h, c, width, height);
                AlphaPremultiply.unpremultiply(out, c);
                yield image.withSamples(width, height, out);
            }
            case L, RGB, CMYK -> image.withSamples(width, height, bicubic(image.rawSamples(), w, h, c, width, height));
        };
    }

    /**
     * Pillow's 8-bit bicubic resampling of interleaved {@code [H, W, C]} samples to {@code [outH, outW, C]}, every
     * channel independently (no alpha handling).
     *
     * <p>The horizontal pass runs first and its result is rounded to uint8; the vertical pass reads that. A pass
     * is skipped when its dimension does not change. This order is part of the result, not an optimisation:
     * running the vertical pass first moves pixels by up to ~25 levels.
     */
    public static byte[] bicubic(byte[] samples, int width, int height, int channels, int outWidth, int outHeight) {
        checkArgs(samples.length, width, height, channels, outWidth, outHeight);
        boolean needHorizontal = outWidth != width;
        boolean needVertical = outHeight != height;
        if (!needHorizontal && !needVertical) return samples.clone();
        ResampleCoefficients vertical = ResampleCoefficients.bicubic(height, outHeight);
        byte[] current = samples;
        int rowOffset = 0;
        if (needHorizontal) {
            // Like Pillow, only the input rows the vertical pass will read are resampled horizontally.
            int firstRow = needVertical ? vertical.min[0] : 0;
            int endRow = needVertical ? vertical.min[outHeight - 1] + vertical.count[outHeight - 1] : height;
            current = horizontal8(samples, width, channels, firstRow, endRow - firstRow,
                    ResampleCoefficients.bicubic(width, outWidth));   // [endRow - firstRow, outW, C]
            rowOffset = firstRow;
        }
        if (needVertical) {
            current = vertical8(current, outWidth * channels, rowOffset, vertical);   // [outH, outW, C]
        }
        return current;
    }

    /**
     * Pillow's bicubic resampling of a mode I image ({@code [H, W]} 32-bit samples): the same taps and weights as
     * {@link #bicubic}, but in double precision, each pass rounding half away from zero to int (Pillow's
     * {@code ROUND_UP}); no clamping.
     */
    public static int[] bicubicInt32(int[] samples, int width, int height, int outWidth, int outHeight) {
        checkArgs(samples.length, width, height, 1, outWidth, outHeight);
        boolean needHorizontal = outWidth != width;
        boolean needVertical = outHeight != height;
        if (!needHorizontal && !needVertical) return samples.clone();
        ResampleCoefficients vertical = ResampleCoefficients.bicubic(height, outHeight);
        int[] current = samples;
        int rowOffset = 0;
        if (needHorizontal) {
            int firstRow = needVertical ? vertical.min[0] : 0;
            int endRow = needVertical ? vertical.min[outHeight - 1] + vertical.count[outHeight - 1] : height;
            current = horizontal32(samples, width, firstRow, endRow - firstRow,
                    ResampleCoefficients.bicubic(width, outWidth));   // [endRow - firstRow, outW]
            rowOffset = firstRow;
        }
        if (needVertical) {
            current = vertical32(current, outWidth, rowOffset, vertical);   // [outH, outW]
        }
        return current;
    }

    /**
     * Pillow's NEAREST resize (its affine "scale" transform): output pixel {@code i} takes input
     * {@code (int) pos_i} where {@code pos_0 = 0.5 * in / out} and {@code pos} grows by {@code in / out} per pixel,
     * accumulated in double (the accumulation, not {@code (i + 0.5) * in / out}, is what Pillow computes).
     */
    public static byte[] nearest(byte[] samples, int width, int height, int channels, int outWidth, int outHeight) {
        checkArgs(samples.length, width, height, channels, outWidth, outHeight);
        int[] xs = nearestIndices(width, outWidth);
        int[] ys = nearestIndices(height, outHeight);
        byte[] out = new byte[outWidth * outHeight * channels];   // [outH, outW, C]
        int o = 0;
        for (int y = 0; y < outHeight; y++) {
            int row = ys[y] * width;
            for (int x = 0; x < outWidth; x++) {
                int p = (row + xs[x]) * channels;
                for (int c = 0; c < channels; c++) out[o++] = samples[p + c];
            }
        }
        return out;
    }

    static int[] nearestIndices(int in, int out) {
        double step = (double) in / out;
        double pos = step * 0.5;
        int[] idx = new int[out];
        for (int i = 0; i < out; i++) {
            // Never out of range in practice (the last position is in - step/2); clamp defensively.
            idx[i] = Math.min(pos < 0.0 ? 0 : (int) pos, in - 1);
            pos += step;
        }
        return idx;
    }

    // ---- 8-bit passes ----

    /** Clamps a fixed-point accumulator (which already holds the rounding half) to 0..255 (Pillow's clip8). */
    private static byte clip8(int acc) {
        if (acc >= 255 << ResampleCoefficients.PRECISION_BITS) return (byte) 255;
        if (acc <= 0) return 0;
        return (byte) (acc >> ResampleCoefficients.PRECISION_BITS);
    }

    private static byte[] horizontal8(byte[] src, int width, int channels, int firstRow, int rows,
                                      ResampleCoefficients co) {
        int[] k = co.fixedPoint();
        int outW = co.outSize;
        int ks = co.kernelSize;
        byte[] out = new byte[rows * outW * channels];
        int inStride = width * channels;
        if (channels == 3) return horizontal8Rgb(src, inStride, firstRow, rows, co, k, out);
        if (channels == 4) return horizontal8Rgba(src, inStride, firstRow, rows, co, k, out);
        int o = 0;
        for (int y = 0; y < rows; y++) {
            int rowStart = (firstRow + y) * inStride;
            for (int x = 0; x < outW; x++) {
                int start = rowStart + co.min[x] * channels;
                int n = co.count[x];
                int kb = x * ks;
                for (int c = 0; c < channels; c++) {
                    int acc = HALF;
                    int p = start + c;
                    for (int t = 0; t < n; t++, p += channels) acc += (src[p] & 0xff) * k[kb + t];
                    out[o++] = clip8(acc);
                }
            }
        }
        return out;
    }

    /**
     * {@link #horizontal8} for 3 interleaved channels. Each input row is first repacked as one {@code long} per
     * pixel holding R in the low and G in the high 32 bits, plus an {@code int} for B, so that one 64-bit multiply
     * and add per tap serves two channels ("SIMD within a register"). This is exact: with signed 32-bit lanes,
     * {@code (r + g·2³²)·w = r·w + g·w·2³²} modulo 2⁶⁴, so the 64-bit sum is {@code R + G·2³²} for the true
     * channel sums R and G (each fits in an int, as in Pillow's int32 accumulators), and
     * {@code R = (int) sum}, {@code G = (sum − R) >> 32} recover them even when R is negative.
     */
    private static byte[] horizontal8Rgb(byte[] src, int inStride, int firstRow, int rows, ResampleCoefficients co,
                                         int[] k, byte[] out) {
        int outW = co.outSize;
        int ks = co.kernelSize;
        int width = inStride / 3;
        long[] rg = new long[width];   // [W]: R | G << 32 of the current row
        int[] bl = new int[width];     // [W]: B of the current row
        int[] min = co.min;
        int[] count = co.count;
        final long halfBoth = HALF | ((long) HALF << 32);
        int o = 0;
        for (int y = 0; y < rows; y++) {
            int q = (firstRow + y) * inStride;
            for (int x = 0; x < width; x++, q += 3) {
                rg[x] = (src[q] & 0xff) | ((long) (src[q + 1] & 0xff) << 32);
                bl[x] = src[q + 2] & 0xff;
            }
            for (int x = 0; x < outW; x++) {
                int m = min[x];
                int n = count[x];
                int kb = x * ks;
                long sRg = halfBoth;
                int sB = HALF;
                for (int t = 0; t < n; t++) {
                    int w = k[kb + t];
                    sRg += rg[m + t] * w;
                    sB += bl[m + t] * w;
                }
                int r = (int) sRg;
                int g = (int) ((sRg - r) >> 32);
                out[o] = clip8(r);
                out[o + 1] = clip8(g);
                out[o + 2] = clip8(sB);
                o += 3;
            }
        }
        return out;
    }

    /** {@link #horizontal8} for 4 interleaved channels (RGBA, CMYK): one walk over the taps feeds all four sums. */
    private static byte[] horizontal8Rgba(byte[] src, int inStride, int firstRow, int rows, ResampleCoefficients co,
                                          int[] k, byte[] out) {
        int outW = co.outSize;
        int ks = co.kernelSize;
        int o = 0;
        for (int y = 0; y < rows; y++) {
            int rowStart = (firstRow + y) * inStride;
            for (int x = 0; x < outW; x++) {
                int p = rowStart + co.min[x] * 4;
                int n = co.count[x];
                int kb = x * ks;
                int s0 = HALF, s1 = HALF, s2 = HALF, s3 = HALF;
                for (int t = 0; t < n; t++, p += 4) {
                    int w = k[kb + t];
                    s0 += (src[p] & 0xff) * w;
                    s1 += (src[p + 1] & 0xff) * w;
                    s2 += (src[p + 2] & 0xff) * w;
                    s3 += (src[p + 3] & 0xff) * w;
                }
                out[o] = clip8(s0);
                out[o + 1] = clip8(s1);
                out[o + 2] = clip8(s2);
                out[o + 3] = clip8(s3);
                o += 4;
            }
        }
        return out;
    }

    /** Vertical pass over rows of {@code rowLength} samples; source row {@code r} is input row {@code r + rowOffset}. */
    private static byte[] vertical8(byte[] src, int rowLength, int rowOffset, ResampleCoefficients co) {
        int[] k = co.fixedPoint();
        int outH = co.outSize;
        int ks = co.kernelSize;
        byte[] out = new byte[outH * rowLength];
        int[] acc = new int[rowLength];
        // Int rows let the JIT vectorise the multiply-add below (byte → int it does not). Source row r is widened
        // into slot r % kernelSize of a ring: an output row reads at most kernelSize consecutive rows, so they never
        // share a slot, and as the window moves down (min[y] never decreases) each row is widened once. The ring
        // stays in cache, unlike a widened copy of the whole source (megabytes per image).
        int[][] ring = new int[ks][rowLength];
        int[] slotRow = new int[ks];   // which source row each slot holds
        java.util.Arrays.fill(slotRow, -1);
        for (int y = 0; y < outH; y++) {
            java.util.Arrays.fill(acc, HALF);
            int first = co.min[y] - rowOffset;
            for (int r = first; r < first + co.count[y]; r++) {
                int slot = r % ks;
                if (slotRow[slot] == r) continue;
                int[] row = ring[slot];
                int p = r * rowLength;
                for (int i = 0; i < rowLength; i++) row[i] = src[p + i] & 0xff;
                slotRow[slot] = r;
            }
            int kb = y * ks;
            // Integer sums do not depend on the order, so accumulate a whole row per tap (cache friendly).
            for (int t = 0; t < co.count[y]; t++) {
                int weight = k[kb + t];
                int[] row = ring[(first + t) % ks];
                for (int i = 0; i < rowLength; i++) acc[i] += row[i] * weight;
            }
            int o = y * rowLength;
            // clip8 without branches (the JIT vectorises min/max): acc >> 22 is <= 0 exactly when acc <= 0 would
            // give 0, and >= 255 exactly when acc >= 255 << 22.
            for (int i = 0; i < rowLength; i++) {
                out[o + i] = (byte) Math.max(0, Math.min(255, acc[i] >> ResampleCoefficients.PRECISION_BITS));
            }
        }
        return out;
    }

    // ---- 32-bit (mode I) passes ----

    /** Pillow's ROUND_UP: half away from zero, then truncation. */
    private static int roundUp(double v) {
        return (int) (v >= 0.0 ? v + 0.5 : v - 0.5);
    }

    private static int[] horizontal32(int[] src, int width, int firstRow, int rows, ResampleCoefficients co) {
        int outW = co.outSize;
        int ks = co.kernelSize;
        double[] k = co.weights;
        int[] out = new int[rows * outW];
        int o = 0;
        for (int y = 0; y < rows; y++) {
            int rowStart = (firstRow + y) * width;
            for (int x = 0; x < outW; x++) {
                int p = rowStart + co.min[x];
                int kb = x * ks;
                double ss = 0.0;
                for (int t = 0; t < co.count[x]; t++) ss += src[p + t] * k[kb + t];
                out[o++] = roundUp(ss);
            }
        }
        return out;
    }

    private static int[] vertical32(int[] src, int width, int rowOffset, ResampleCoefficients co) {
        int outH = co.outSize;
        int ks = co.kernelSize;
        double[] k = co.weights;
        int[] out = new int[outH * width];
        double[] acc = new double[width];
        for (int y = 0; y < outH; y++) {
            java.util.Arrays.fill(acc, 0.0);
            int first = co.min[y] - rowOffset;
            int kb = y * ks;
            // Each pixel still receives its terms in tap order, so the double sums equal Pillow's.
            for (int t = 0; t < co.count[y]; t++) {
                double weight = k[kb + t];
                int p = (first + t) * width;
                for (int i = 0; i < width; i++) acc[i] += src[p + i] * weight;
            }
            int o = y * width;
            for (int i = 0; i < width; i++) out[o + i] = roundUp(acc[i]);
        }
        return out;
    }

    private static void checkArgs(int length, int width, int height, int channels, int outWidth, int outHeight) {
        if (width <= 0 || height <= 0 || outWidth <= 0 || outHeight <= 0 || channels <= 0) {
            throw new IllegalArgumentException("sizes and channels must be positive, got " + width + "x" + height
                    + "x" + channels + " -> " + outWidth + "x" + outHeight);
        }
        if ((long) width * height * channels != length) {
            throw new IllegalArgumentException("expected " + ((long) width * height * channels) + " samples ([H, W, C] = ["
                    + height + ", " + width + ", " + channels + "]), got " + length);
        }
        if ((long) outWidth * outHeight * channels > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("output " + outWidth + "x" + outHeight + "x" + channels + " is too large");
        }
    }
}
