package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;

/**
 * Fused element-wise kernels: each memory-bound chain of the transformer (LayerNorm forward and backward,
 * the QuickGELU derivative, the softmax backward, bias gradients, attention head splits, the AdamW update,
 * channels-last im2col/col2im) as one pass of Java loops
 * over the float32 native buffers instead of a chain of ND4J ops.
 *
 * <p>Chains with an exponential (the QuickGELU forward, the softmax forward) stay ND4J's single native ops:
 * libnd4j vectorises its exp, a Java loop on JDK 17 cannot (about 10 ns per element, measured slower than
 * the native op it would replace); the QuickGELU backward avoids its exponential altogether.
 *
 * <p><b>Why.</b> Every ND4J op costs microseconds of dispatch plus a full pass over memory, and most of the
 * chains above take 4–9 ops and 2–5 temporaries. At the tiny model's width (64) the fixed costs dominate; at
 * ViT-B/32's the passes do. A fused kernel reads each input once and writes each output once.
 *
 * <p><b>How.</b> Rows are bulk-copied between the native buffer and a per-thread {@code float[]} (a
 * {@code memcpy}), where the JIT vectorises the element-wise loops; reductions run in double (or in float over
 * at most {@link #FLUSH} rows, flushed into double), so they are at least as exact as libnd4j's float
 * reductions and do not depend on the thread count's split: every sum over a row is computed by one thread in
 * a fixed order, and column sums are combined in a fixed order. Large arrays are split over rows on the common
 * fork-join pool.
 *
 * <p><b>When.</b> {@link #applies} is true for C-contiguous FLOAT arrays on the CPU backend. Layers call the
 * fused kernel then, and their ND4J path otherwise (double precision, CUDA, strided inputs), or for every call
 * when the system property {@code clip4j.fused=false} (the benchmarks compare both paths with it; the gradient
 * and fixture tests pass with either).
 */
public final class Kernels {
    private static volatile boolean enabled = !"false".equalsIgnoreCase(System.getProperty("clip4j.fused"));
    /** Column sums are accumulated in float over at most this many rows, then added into double. */
    static final int FLUSH = 32;
    /** Below this many elements one thread does the whole kernel. */
    private static final long PARALLEL_MIN = 1 << 16;
    private static final boolean CPU = Nd4j.getEnvironment().isCPU();

    private Kernels() {
    }

    /** True unless turned off ({@code -Dclip4j.fused=false} or {@link #setEnabled}). */
    public static boolean enabled() {
        return enabled;
    }

    /**
     * Turns the fused paths on or off for the whole process (benchmarks and tests compare both paths; switch only
     * between steps, never while a forward's tape is waiting for its backward).
     */
    public static void setEnabled(boolean on) {
        enabled = on;
    }

    /** True if the fused kernels handle these arrays: all C-contiguous FLOAT on the CPU backend (nulls skipped). */
    public static boolean applies(INDArray... arrays) {
        if (!enabled || !CPU) return false;
        for (INDArray a : arrays) {
            if (a == null) continue;
            if (a.dataType() != DataType.FLOAT || !Tensors.isRowMajorContiguous(a) || a.length() > Integer.MAX_VALUE) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------------------------------------- LayerNorm

    /**
     * LayerNorm forward over rows of width W: {@code x̂ = (x − mean)·rstd}, {@code y = x̂·weight + bias}, with
     * {@code rstd = 1/sqrt(var + eps)} and the biased variance. Mean and variance are two-pass sums in double.
     *
     * @param x      [rows, W] input (read)
     * @param weight [W]
     * @param bias   [W]
     * @param y      [rows, W] output
     * @param xhat   [rows, W] output, or null
     * @param rstd   [rows] or [rows, 1] output, or null
     */
    public static void layerNormForward(INDArray x, INDArray weight, INDArray bias, double eps, INDArray y,
                                        INDArray xhat, INDArray rstd) {
        int w = (int) x.size(x.rank() - 1);
        int rows = (int) (x.length() / w);
        float[] gain = toFloats(weight), shift = toFloats(bias);
        FloatBuffer in = floats(x), out = floats(y), hat = xhat == null ? null : floats(xhat);
        FloatBuffer rs = rstd == null ? null : floats(rstd);
        int ix = off(x), iy = off(y), ih = xhat == null ? 0 : off(xhat), ir = rstd == null ? 0 : off(rstd);
        split(rows, (long) rows * w, (from, to) -> {
            float[] v = new float[w], o = new float[w];
            for (int r = from; r < to; r++) {
                in.get(ix + r * w, v, 0, w);
                float mean = (float) (sum(v, w) / w);
                for (int j = 0; j < w; j++) v[j] -= mean;                    // centred
                float var = (float) (sumSquares(v, w) / w);
                float s = (float) (1.0 / Math.sqrt(var + eps));
                for (int j = 0; j < w; j++) v[j] *= s;                       // x̂
                for (int j = 0; j < w; j++) o[j] = v[j] * gain[j] + shift[j]; // y
                out.put(iy + r * w, o, 0, w);
                if (hat != null) hat.put(ih + r * w, v, 0, w);
                if (rs != null) rs.put(ir + r, s);
            }
        });
    }

    /**
     * LayerNorm backward. With g = dy·weight: {@code dx = rstd·(g − mean(g) − x̂·mean(g·x̂))}; adds
     * {@code Σ_rows dy·x̂} to {@code dweight} and {@code Σ_rows dy} to {@code dbias}.
     *
     * @param dy      [rows, W] upstream gradient
     * @param xhat    [rows, W] the forward's x̂
     * @param rstd    [rows] or [rows, 1], the forward's 1/sqrt(var + eps)
     * @param weight  [W]
     * @param dx      [rows, W] output (may be dy itself)
     * @param dweight [W] accumulated into
     * @param dbias   [W] accumulated into
     */
    public static void layerNormBackward(INDArray dy, INDArray xhat, INDArray rstd, INDArray weight, INDArray dx,
                                         INDArray dweight, INDArray dbias) {
        int w = (int) dy.size(dy.rank() - 1);
        int rows = (int) (dy.length() / w);
        float[] gain = toFloats(weight);
        FloatBuffer gy = floats(dy), hat = floats(xhat), rs = floats(rstd), gx = floats(dx);
        int iy = off(dy), ih = off(xhat), ir = off(rstd), ix = off(dx);
        double[][] partial = splitReduce(rows, (long) rows * w, 2 * w, (from, to, acc) -> {
            float[] d = new float[w], h = new float[w], g = new float[w];
            float[] cw = new float[w], cb = new float[w]; // column sums over at most FLUSH rows
            int pending = 0;
            for (int r = from; r < to; r++) {
                gy.get(iy + r * w, d, 0, w);
                hat.get(ih + r * w, h, 0, w);
                for (int j = 0; j < w; j++) {
                    cw[j] += d[j] * h[j];
                    cb[j] += d[j];
                    g[j] = d[j] * gain[j];
                }
                if (++pending == FLUSH) {
                    flush(cw, cb, acc, w);
                    pending = 0;
                }
                float meanG = (float) (sum(g, w) / w);
                float meanGx = (float) (dot(g, h, w) / w);
                float s = rs.get(ir + r);
                for (int j = 0; j < w; j++) g[j] = s * (g[j] - meanG - h[j] * meanGx);
                gx.put(ix + r * w, g, 0, w);
            }
            flush(cw, cb, acc, w);
        });
        double[] dw = new double[w], db = new double[w];
        for (double[] p : partial) {
            for (int j = 0; j < w; j++) {
                dw[j] += p[j];
                db[j] += p[w + j];
            }
        }
        addInto(dweight, dw);
        addInto(dbias, db);
    }

    private static void flush(float[] cw, float[] cb, double[] acc, int w) {
        for (int j = 0; j < w; j++) {
            acc[j] += cw[j];
            acc[w + j] += cb[j];
            cw[j] = 0;
            cb[j] = 0;
        }
    }

    // ---------------------------------------------------------------------------------------------- QuickGELU

    /**
     * QuickGELU backward from the forward's input u and output h = u·σ(1.702·u), with no exponential:
     * σ = h/u (two roundings from the exact σ: within 2 ulp), and
     * {@code dx = dy·(σ + 1.702·u·σ·(1 − σ)) = dy·(σ + 1.702·h·(1 − σ))}. For |u| ≤ 1e-30, σ is 1/2 to float
     * precision. ({@code dx} may be {@code dy}.)
     *
     * <p>Why not recompute σ: an exponential per element costs about 10 ns in a Java loop on JDK 17 (neither
     * {@code Math.exp} nor a hand-written polynomial with {@code Math.floor} and {@code Float.intBitsToFloat}
     * vectorises), which made a fused backward slower than ND4J's vectorised native ops; the division
     * vectorises.
     */
    public static void quickGeluBackward(INDArray u, INDArray h, INDArray dy, INDArray dx) {
        FloatBuffer in = floats(u), act = floats(h), up = floats(dy), out = floats(dx);
        int iu = off(u), ih = off(h), iy = off(dy), io = off(dx);
        float k = (float) Activation.K;
        chunks((int) u.length(), (from, len, a, b, c) -> {
            in.get(iu + from, a, 0, len);
            act.get(ih + from, b, 0, len);
            up.get(iy + from, c, 0, len);
            for (int i = 0; i < len; i++) {
                float s = Math.abs(a[i]) > 1e-30f ? b[i] / a[i] : 0.5f;
                c[i] = c[i] * (s + k * b[i] * (1f - s));
            }
            out.put(io + from, c, 0, len);
        });
    }

    // ---------------------------------------------------------------------------------------------- softmax

    /** Softmax backward in place: {@code dp ← p ∘ (dp − Σ_last dp∘p)} per row. */
    public static void softmaxBackwardInPlace(INDArray p, INDArray dp) {
        int n = (int) p.size(p.rank() - 1);
        int rows = (int) (p.length() / n);
        FloatBuffer pb = floats(p), db = floats(dp);
        int ip = off(p), id = off(dp);
        split(rows, (long) rows * n, (from, to) -> {
            float[] a = new float[n], d = new float[n];
            for (int r = from; r < to; r++) {
                pb.get(ip + r * n, a, 0, n);
                db.get(id + r * n, d, 0, n);
                float dotRow = (float) dot(a, d, n);
                for (int j = 0; j < n; j++) d[j] = a[j] * (d[j] - dotRow);
                db.put(id + r * n, d, 0, n);
            }
        });
    }

    // ---------------------------------------------------------------------------------------------- sums

    /** {@code target += Σ_rows x} for x [rows, W] and target [W] (a bias gradient), summed in double. */
    public static void addColumnSums(INDArray x, INDArray target) {
        int w = (int) x.size(x.rank() - 1);
        int rows = (int) (x.length() / w);
        FloatBuffer in = floats(x);
        int ix = off(x);
        double[][] partial = splitReduce(rows, (long) rows * w, w, (from, to, acc) -> {
            float[] v = new float[w], c = new float[w];
            int pending = 0;
            for (int r = from; r < to; r++) {
                in.get(ix + r * w, v, 0, w);
                for (int j = 0; j < w; j++) c[j] += v[j];
                if (++pending == FLUSH || r == to - 1) {
                    for (int j = 0; j < w; j++) {
                        acc[j] += c[j];
                        c[j] = 0;
                    }
                    pending = 0;
                }
            }
        });
        double[] total = new double[w];
        for (double[] p : partial) for (int j = 0; j < w; j++) total[j] += p[j];
        addInto(target, total);
    }

    // ---------------------------------------------------------------------------------------------- AdamW

    /**
     * One AdamW update of a parameter in place, element by element in float32 (torch 1.13's order of operations):
     * {@code w ← w·decay} (1 for no decay: multiplying by 1 is exact), {@code m ← β1·m + a1·g},
     * {@code v ← β2·v + a2·g²}, {@code w ← w − m / (√v / bc2 + ε) · step}, with a1 = 1 − β1 and a2 = 1 − β2
     * rounded from double by the caller. All four arrays have the same length; each element's update is
     * independent, so the split over cores does not change the result.
     */
    public static void adamw(INDArray w, INDArray g, INDArray m, INDArray v, float decay, float beta1, float a1,
                             float beta2, float a2, float bc2, float eps, float step) {
        FloatBuffer pw = floats(w), pg = floats(g), pm = floats(m), pv = floats(v);
        int ow = off(w), og = off(g), om = off(m), ov = off(v);
        int size = 4096, n = (int) w.length(), count = (n + size - 1) / size;
        split(count, n, (from, to) -> {
            float[] cw = new float[size], cg = new float[size], cm = new float[size], cv = new float[size];
            for (int c = from; c < to; c++) {
                int at = c * size, len = Math.min(size, n - at);
                pw.get(ow + at, cw, 0, len);
                pg.get(og + at, cg, 0, len);
                pm.get(om + at, cm, 0, len);
                pv.get(ov + at, cv, 0, len);
                for (int i = 0; i < len; i++) {
                    float gi = cg[i];
                    float wi = cw[i] * decay;
                    float mi = cm[i] * beta1 + gi * a1;                 // m ← β1 m + (1−β1) g
                    float vi = cv[i] * beta2 + gi * gi * a2;            // v ← β2 v + (1−β2) g²
                    float denom = (float) Math.sqrt(vi) / bc2 + eps;
                    cm[i] = mi;
                    cv[i] = vi;
                    cw[i] = wi - mi / denom * step;
                }
                pw.put(ow + at, cw, 0, len);
                pm.put(om + at, cm, 0, len);
                pv.put(ov + at, cv, 0, len);
            }
        });
    }

    // ---------------------------------------------------------------------------------------------- heads

    /**
     * Splits attention heads: src [B, T, P, H, hd] (P = 3 for a packed q, k, v projection, 1 for a single one)
     * → dst [P, B, H, T, hd], multiplying part 0 (q) by {@code scale0}. One bulk read per sample, one bulk write
     * per head block; split over the samples.
     */
    public static void toHeads(INDArray src, INDArray dst, int b, int t, int parts, int heads, int hd, float scale0) {
        int w = heads * hd, rowLen = parts * w, block = t * hd;
        FloatBuffer in = floats(src), out = floats(dst);
        int is = off(src), id = off(dst);
        split(b, (long) b * t * rowLen, (from, to) -> {
            float[] rows = new float[t * rowLen], blk = new float[block];
            for (int n = from; n < to; n++) {
                in.get(is + n * t * rowLen, rows, 0, rows.length);
                for (int p = 0; p < parts; p++) {
                    for (int h = 0; h < heads; h++) {
                        for (int i = 0; i < t; i++) System.arraycopy(rows, i * rowLen + p * w + h * hd, blk, i * hd, hd);
                        if (p == 0 && scale0 != 1f) for (int j = 0; j < block; j++) blk[j] *= scale0;
                        out.put(id + ((p * b + n) * heads + h) * block, blk, 0, block);
                    }
                }
            }
        });
    }

    /** The inverse of {@link #toHeads}: src [P, B, H, T, hd] → dst [B, T, P, H, hd], part 0 times {@code scale0}. */
    public static void fromHeads(INDArray src, INDArray dst, int b, int t, int parts, int heads, int hd, float scale0) {
        int w = heads * hd, rowLen = parts * w, block = t * hd;
        FloatBuffer in = floats(src), out = floats(dst);
        int is = off(src), id = off(dst);
        split(b, (long) b * t * rowLen, (from, to) -> {
            float[] rows = new float[t * rowLen], blk = new float[block];
            for (int n = from; n < to; n++) {
                for (int p = 0; p < parts; p++) {
                    for (int h = 0; h < heads; h++) {
                        in.get(is + ((p * b + n) * heads + h) * block, blk, 0, block);
                        if (p == 0 && scale0 != 1f) for (int j = 0; j < block; j++) blk[j] *= scale0;
                        for (int i = 0; i < t; i++) System.arraycopy(blk, i * hd, rows, i * rowLen + p * w + h * hd, hd);
                    }
                }
                out.put(id + n * t * rowLen, rows, 0, rows.length);
            }
        });
    }

    // ---------------------------------------------------------------------------------------------- im2col

    /**
     * Channels-last im2col: for x [N, H, W, C] (dense) writes cols [N·OH·OW, k·k·C], row (n, p, q) holding the
     * k×k input pixels that output position (p, q) sees, tap by tap in (u, v) order, each its C channels (zero
     * outside the image). With the weight as [out, k·k·C] (OHWI) the convolution is then {@code cols · Wᵀ}.
     *
     * @param x    [N, H, W, C] dense input
     * @param cols [N·OH·OW, k·k·C] output
     */
    public static void im2colChannelsLast(INDArray x, int k, int stride, int pad, INDArray cols) {
        Window g = new Window(x, k, stride, pad);
        int h = g.h, w = g.w, c = g.c, oh = g.oh, ow = g.ow, rowLen = g.rowLen, inRow = g.inRow, n = g.n;
        FloatBuffer in = floats(x), out = floats(cols);
        int ix = off(x), io = off(cols);
        split(n * oh, (long) n * oh * ow * rowLen, (from, to) -> {
            float[][] rows = new float[k][inRow];
            boolean[] valid = new boolean[k];
            float[] block = new float[ow * rowLen];
            for (int r = from; r < to; r++) {
                int img = r / oh, p = r % oh;
                for (int u = 0; u < k; u++) {                 // the k input rows this output row reads
                    int ih = p * stride - pad + u;
                    valid[u] = ih >= 0 && ih < h;
                    if (valid[u]) in.get(ix + (img * h + ih) * inRow, rows[u], 0, inRow);
                }
                for (int q = 0; q < ow; q++) {
                    int at = q * rowLen;
                    for (int u = 0; u < k; u++) {
                        for (int v = 0; v < k; v++, at += c) {
                            int iw = q * stride - pad + v;
                            if (valid[u] && iw >= 0 && iw < w) System.arraycopy(rows[u], iw * c, block, at, c);
                            else java.util.Arrays.fill(block, at, at + c, 0f);
                        }
                    }
                }
                out.put(io + r * ow * rowLen, block, 0, block.length);
            }
        });
    }

    /**
     * The adjoint of {@link #im2colChannelsLast}: {@code dx[n, ih, iw, :] = Σ} of the column entries that read
     * that pixel (the convolution's input gradient from its column gradient). Every element of dx is written.
     * Split over the images (no two parts write the same pixel); within an image the taps add in a fixed order.
     *
     * @param dcols [N·OH·OW, k·k·C]
     * @param dx    [N, H, W, C] dense output
     */
    public static void col2imChannelsLast(INDArray dcols, int k, int stride, int pad, INDArray dx) {
        Window g = new Window(dx, k, stride, pad);
        int h = g.h, w = g.w, c = g.c, oh = g.oh, ow = g.ow, rowLen = g.rowLen, inRow = g.inRow, n = g.n;
        FloatBuffer in = floats(dcols), out = floats(dx);
        int ic = off(dcols), io = off(dx);
        split(n, (long) n * oh * ow * rowLen, (from, to) -> {
            float[] image = new float[h * inRow];
            float[] block = new float[ow * rowLen];
            for (int img = from; img < to; img++) {
                java.util.Arrays.fill(image, 0f);
                for (int p = 0; p < oh; p++) {
                    in.get(ic + (img * oh + p) * ow * rowLen, block, 0, block.length);
                    for (int q = 0; q < ow; q++) {
                        int at = q * rowLen;
                        for (int u = 0; u < k; u++) {
                            int ih = p * stride - pad + u;
                            for (int v = 0; v < k; v++, at += c) {
                                int iw = q * stride - pad + v;
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                int base = ih * inRow + iw * c;
                                for (int j = 0; j < c; j++) image[base + j] += block[at + j];
                            }
                        }
                    }
                }
                out.put(io + img * h * inRow, image, 0, image.length);
            }
        });
    }

    /**
     * BatchNorm's input gradient in one pass: {@code dx = dy·s + x·a + c} with s, a, c per channel ([C] each),
     * rounded as the separate products and sums would be. dy, x and dx are dense float32 arrays of one layout, given
     * as their dense views: channels last [N, H, W, C] ({@code channelsLast}) or NCHW [N, C, H, W]; dx may be dy.
     */
    public static void channelAffine(INDArray dy, INDArray x, float[] s, float[] a, float[] c, INDArray dx,
                                     boolean channelsLast) {
        int ch = s.length;
        long total = dy.length();
        int width = channelsLast ? ch : (int) (dy.size(2) * dy.size(3)); // a row: one pixel, or one channel plane
        int rows = Math.toIntExact(total / width);
        int per = Math.max(1, 4096 / width);                              // rows per block
        int blocks = (rows + per - 1) / per;
        FloatBuffer g = floats(dy), v = floats(x), out = floats(dx);
        int og = off(dy), ov = off(x), oo = off(dx);
        split(blocks, total, (from, to) -> {
            float[] gb = new float[per * width], vb = new float[per * width];
            for (int b = from; b < to; b++) {
                int r0 = b * per, nr = Math.min(per, rows - r0), len = nr * width, at = r0 * width;
                g.get(og + at, gb, 0, len);
                v.get(ov + at, vb, 0, len);
                for (int r = 0; r < nr; r++) {
                    int base = r * width;
                    if (channelsLast) {
                        for (int i = 0; i < ch; i++) gb[base + i] = gb[base + i] * s[i] + vb[base + i] * a[i] + c[i];
                    } else {
                        int k = (r0 + r) % ch;
                        float sk = s[k], ak = a[k], ck = c[k];
                        for (int j = 0; j < width; j++) gb[base + j] = gb[base + j] * sk + vb[base + j] * ak + ck;
                    }
                }
                out.put(oo + at, gb, 0, len);
            }
        });
    }

    /** The sizes of a k×k convolution window over a dense [N, H, W, C] image batch. */
    private static final class Window {
        final int n, h, w, c;  // the image batch [N, H, W, C]
        final int oh, ow;      // output positions per column and row
        final int rowLen;      // k·k·C: one row of the column matrix
        final int inRow;       // W·C: one image row

        Window(INDArray image, int k, int stride, int pad) {
            n = (int) image.size(0);
            h = (int) image.size(1);
            w = (int) image.size(2);
            c = (int) image.size(3);
            oh = (h + 2 * pad - k) / stride + 1;
            ow = (w + 2 * pad - k) / stride + 1;
            rowLen = k * k * c;
            inRow = w * c;
        }
    }

    // ---------------------------------------------------------------------------------------------- helpers

    /** A native-order float view of the whole buffer under {@code a}; index {@link #off}(a) is a's first element. */
    static FloatBuffer floats(INDArray a) {
        return a.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    static int off(INDArray a) {
        return Math.toIntExact(a.offset());
    }

    /** The values of a small contiguous float array. */
    static float[] toFloats(INDArray a) {
        float[] v = new float[(int) a.length()];
        floats(a).get(off(a), v, 0, v.length);
        return v;
    }

    /** {@code target += add} for a contiguous float array, each sum rounded once from double. */
    static void addInto(INDArray target, double[] add) {
        FloatBuffer t = floats(target);
        int at = off(target);
        for (int j = 0; j < add.length; j++) t.put(at + j, (float) (t.get(at + j) + add[j]));
    }

    /** Σ v[0..n) in double, four independent accumulators (the JIT does not reorder floating-point sums). */
    static double sum(float[] v, int n) {
        double a = 0, b = 0, c = 0, d = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            a += v[i];
            b += v[i + 1];
            c += v[i + 2];
            d += v[i + 3];
        }
        for (; i < n; i++) a += v[i];
        return (a + b) + (c + d);
    }

    /** Σ v² in double. */
    static double sumSquares(float[] v, int n) {
        double a = 0, b = 0, c = 0, d = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            a += (double) v[i] * v[i];
            b += (double) v[i + 1] * v[i + 1];
            c += (double) v[i + 2] * v[i + 2];
            d += (double) v[i + 3] * v[i + 3];
        }
        for (; i < n; i++) a += (double) v[i] * v[i];
        return (a + b) + (c + d);
    }

    /** Σ u·v in double. */
    static double dot(float[] u, float[] v, int n) {
        double a = 0, b = 0, c = 0, d = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            a += (double) u[i] * v[i];
            b += (double) u[i + 1] * v[i + 1];
            c += (double) u[i + 2] * v[i + 2];
            d += (double) u[i + 3] * v[i + 3];
        }
        for (; i < n; i++) a += (double) u[i] * v[i];
        return (a + b) + (c + d);
    }

    interface RowRange {
        void run(int from, int to);
    }

    interface RowReduce {
        void run(int from, int to, double[] acc);
    }

    interface Chunk {
        void run(int from, int len, float[] a, float[] b, float[] c);
    }

    private static int parts(int rows, long elements) {
        if (elements < PARALLEL_MIN || rows < 2) return 1;
        return Math.min(rows, Runtime.getRuntime().availableProcessors());
    }

    /** Runs {@code body} over [0, rows) split into contiguous parts (in parallel for large work). */
    static void split(int rows, long elements, RowRange body) {
        int parts = parts(rows, elements);
        if (parts == 1) {
            body.run(0, rows);
            return;
        }
        IntStream.range(0, parts).parallel().forEach(p -> body.run(rows * p / parts, rows * (p + 1) / parts));
    }

    /** As {@link #split}, each part adding into its own {@code double[width]}; the parts in order. */
    static double[][] splitReduce(int rows, long elements, int width, RowReduce body) {
        int parts = parts(rows, elements);
        double[][] acc = new double[parts][width];
        if (parts == 1) body.run(0, rows, acc[0]);
        else IntStream.range(0, parts).parallel().forEach(p -> body.run(rows * p / parts, rows * (p + 1) / parts, acc[p]));
        return acc;
    }

    /** Runs {@code body} over [0, n) in chunks of at most 4096 elements, with three scratch arrays per part. */
    static void chunks(int n, Chunk body) {
        int size = 4096;
        int count = (n + size - 1) / size;
        split(count, n, (from, to) -> {
            float[] a = new float[size], b = new float[size], c = new float[size];
            for (int i = from; i < to; i++) {
                int start = i * size;
                body.run(start, Math.min(size, n - start), a, b, c);
            }
        });
    }
}
