package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;

import java.util.Arrays;

import static org.nd4j.linalg.indexing.NDArrayIndex.all;
import static org.nd4j.linalg.indexing.NDArrayIndex.interval;
import static org.nd4j.linalg.indexing.NDArrayIndex.point;

/**
 * 2-D convolution without bias, as PyTorch's {@code nn.Conv2d(in, out, k, stride, padding, bias=False)}: NCHW
 * activations and a {@code weight} [out, in, k, k] (OIHW, the checkpoint layout), zero padding.
 *
 * <p>Four implementations, chosen per process by {@link #defaultAlgorithm()} (and per layer by
 * {@link #algorithm(Algorithm)}):
 * <ul>
 *   <li>{@link Algorithm#ONEDNN}: oneDNN's convolution primitives called directly ({@link OneDnnConv}) on
 *       channels-last float32 arrays, no layout conversions, on any x86-64 CPU and any ND4J build (oneDNN picks
 *       its AVX-512 or AVX2 kernels itself): RN50's 3×3 layers forward and backward at 210–250 GFLOP/s on an
 *       AVX-512 EPYC where libnd4j's {@code conv2d_bp} reached 60–130 (docs/performance.md).</li>
 *   <li>{@link Algorithm#NATIVE}: libnd4j's {@code conv2d}/{@code conv2d_bp} ops on the NCHW arrays and the
 *       OIHW weight as they are (weight format 1). In ND4J's oneDNN builds these run oneDNN's convolution
 *       kernels, the ones PyTorch uses on the CPU: 2–4× faster than im2col + gemm for the RN50 layers. The raw
 *       {@code conv2d_bp} op is correct for OIHW weights in 1.0.0-M2.1 (unlike SameDiff's conv2d gradient).</li>
 *   <li>{@link Algorithm#IM2COL}: im2col (k² strided copies) + one BLAS gemm for the batch, and libnd4j's
 *       {@code col2im} op in backward; a 1×1 stride-1 conv is a plain gemm over channels. Any layout, data type
 *       and backend (the path of double precision and of CUDA).</li>
 *   <li>{@link Algorithm#GEMM}: for channels-last float32 activations on the CPU, the im2col is written
 *       channels last by a Java kernel and the convolution is one GEMM against the weight as [out, k·k·in]
 *       (OHWI), the backward two GEMMs and a channels-last col2im; no transposing copies. Other arrays take the
 *       IM2COL path.</li>
 * </ul>
 * With every algorithm, a 1×1 stride-1 conv of a {@linkplain Tensors#isChannelsLast channels-last} x is a single
 * BLAS product over the [N·H·W, C] pixel matrices, forward and backward. The tests cover every algorithm
 * against a double-precision layer (FusedKernelsTest) and the reference fixtures, strides 1 and 2, padding 0 and
 * 1, 1×1 and 3×3.
 */
public final class Conv2d extends Module {
    /** How the convolution is computed; all give the same values up to float rounding. */
    public enum Algorithm {
        /**
         * oneDNN's primitives through its own Java binding ({@link OneDnnConv}) for channels-last float32 x on the
         * CPU; in training 1×1 stride-1 layers stay BLAS products (as fast here), in inference
         * ({@link #forwardAffine}) they too run oneDNN's kernel with the folded BatchNorm as its bias; other arrays
         * take the {@link #IM2COL} path.
         */
        ONEDNN,
        /** libnd4j's {@code conv2d}/{@code conv2d_bp} ops (oneDNN kernels in the oneDNN builds). */
        NATIVE,
        /** im2col + gemm in this class, in any layout and data type, on any backend. */
        IM2COL,
        /**
         * Channels-last im2col ({@link Kernels#im2colChannelsLast}) + one GEMM for a channels-last float32 x on
         * the CPU backend (with the fused kernels on); other arrays take the {@link #IM2COL} path.
         */
        GEMM
    }

    private static final Algorithm DEFAULT = chooseDefault();

    private final Parameter weight;
    private final long in;
    private final long out;
    private final int kernel;
    private final int stride;
    private final int padding;
    private Algorithm algorithm;

    /** A parameter named {@code prefix.weight} of shape [out, in, kernel, kernel]. */
    public Conv2d(String prefix, long in, long out, int kernel, int stride, int padding) {
        super(prefix);
        if (kernel < 1 || stride < 1 || padding < 0) {
            throw new IllegalArgumentException(prefix + ": bad kernel/stride/padding " + kernel + "/" + stride + "/"
                    + padding);
        }
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.weight = param("weight", out, in, kernel, kernel);
        this.algorithm = DEFAULT;
    }

    /**
     * The process-wide default: {@link Algorithm#ONEDNN} wherever oneDNN's binding loads on the CPU backend (RN50
     * batch-8 forward+backward on an AVX-512 EPYC 1.93 s against 2.55 s with {@link Algorithm#NATIVE}; with
     * AVX2 kernels forced 2.43 s against 2.69 s with {@link Algorithm#GEMM}; docs/performance.md); otherwise {@link Algorithm#NATIVE} in ND4J's
     * oneDNN-AVX512 build, {@link Algorithm#GEMM} in its other CPU builds and {@link Algorithm#IM2COL} on other
     * backends. The system property {@code clip4j.conv} = {@code onednn}, {@code native}, {@code im2col} or
     * {@code gemm} overrides the choice.
     */
    public static Algorithm defaultAlgorithm() {
        return DEFAULT;
    }

    private static Algorithm chooseDefault() {
        String forced = System.getProperty("clip4j.conv", "auto");
        switch (forced) {
            case "native": return Algorithm.NATIVE;
            case "im2col": return Algorithm.IM2COL;
            case "gemm": return Algorithm.GEMM;
            case "onednn": return Algorithm.ONEDNN;
            default: break;
        }
        if (OneDnnConv.available()) return Algorithm.ONEDNN;
        try { // NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo(), from the backend's jar
            Nd4j.getBackend();
            Object holder = Class.forName("org.nd4j.nativeblas.NativeOpsHolder").getMethod("getInstance").invoke(null);
            Object ops = holder.getClass().getMethod("getDeviceNativeOps").invoke(holder);
            Object info = ops.getClass().getMethod("buildInfo").invoke(ops);
            boolean oneDnn = info instanceof String b && b.contains("HAVE_ONEDNN") && Nd4j.getEnvironment().helpersAllowed();
            boolean avx512 = System.getProperty("org.bytedeco.javacpp.platform.extension", "").contains("avx512");
            return oneDnn && avx512 ? Algorithm.NATIVE : Algorithm.GEMM;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) { // not the CPU backend
            return Algorithm.IM2COL;
        }
    }

    /** Sets this layer's algorithm (for tests and measurements); returns this. */
    public Conv2d algorithm(Algorithm a) {
        this.algorithm = java.util.Objects.requireNonNull(a);
        return this;
    }

    public Algorithm algorithm() {
        return algorithm;
    }

    /**
     * True if this layer computes {@code type} activations channels last: {@link Algorithm#NATIVE}, or
     * {@link Algorithm#GEMM} where its kernels apply (float32 on the CPU). A tower converts its input once and
     * every layer keeps the layout.
     */
    public boolean computesChannelsLast(DataType type) {
        if (algorithm == Algorithm.NATIVE) return true;
        if (type != weight.value().dataType() || !Kernels.applies(weight.value())) return false;
        return algorithm == Algorithm.GEMM || (algorithm == Algorithm.ONEDNN && OneDnnConv.applies(weight.value()));
    }

    public Parameter weight() {
        return weight;
    }

    public long inChannels() {
        return in;
    }

    public long outChannels() {
        return out;
    }

    /** Output side length for an input side length: {@code (size + 2·padding − kernel) / stride + 1}. */
    public long outSize(long size) {
        return (size + 2L * padding - kernel) / stride + 1;
    }

    /** What backward needs: the input (the im2col columns are rebuilt from it, see {@link #backward}). */
    private record Saved(INDArray x) { // [N, in, H, W]: the borrowed input (a reference: the caller keeps it alive)
    }

    /**
     * {@code x}: [N, in, H, W] (borrowed; kept by reference for backward) → new [N, out, H', W']. With
     * {@link Algorithm#NATIVE}, and with {@link Algorithm#GEMM} where it applies, a
     * {@linkplain Tensors#isChannelsLast channels-last} x gives a channels-last result (and dx); the IM2COL path
     * returns C-contiguous arrays.
     */
    public INDArray forward(INDArray x, Tape tape) {
        if (x.rank() != 4 || x.size(1) != in) {
            throw new IllegalArgumentException(name() + ": expected [N, " + in + ", H, W], got "
                    + Arrays.toString(x.shape()));
        }
        long n = x.size(0), ohw = outSize(x.size(2)) * outSize(x.size(3)), k2 = in * kernel * kernel;
        try (Scope s = Scope.open()) {
            if (tape != null) tape.save(this, new Saved(x), s);
            if (blasPointwise(x)) {
                // Channels last, a 1×1 conv is one product of the [N·H·W, in] pixel matrix with Wᵀ, written
                // straight into the [N·H·W, out] matrix of a channels-last y: no copies, one BLAS call.
                INDArray base = BufferPool.create(x.dataType(), n, x.size(2), x.size(3), out); // y as [N, H, W, out]
                INDArray y = s.track(base.permute(0, 3, 1, 2));
                Nd4j.gemm(pixels(x), weight.value().reshape('c', out, in), base.reshape('c', n * ohw, out), false,
                        true, 1.0, 0.0);
                return s.ret(y);
            }
            if (!pointwise() && gemmApplies(x)) return s.ret(channelsLastGemm(s, x, weight.value(), null, null));
            if (oneDnnApplies(x)) {
                INDArray y = s.track(Tensors.create4(x.dataType(), true, n, out, outSize(x.size(2)),
                        outSize(x.size(3))));
                OneDnnConv.forward(geometry(x), x, weight.value(), null, y);
                return s.ret(y);
            }
            if (algorithm == Algorithm.NATIVE) {
                // The op reads and writes any dense layout through its strides; a channels-last x gets a
                // channels-last y, which is the layout oneDNN computes in (no transposing copies).
                INDArray y = s.track(Tensors.create4(x.dataType(), Tensors.isChannelsLast(x), n, out,
                        outSize(x.size(2)), outSize(x.size(3))));
                Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(x, weight.value()).addOutputs(y)
                        .addIntegerArguments(nativeArgs()).build());
                return s.ret(y);
            }
            // One product for the whole batch: Yᵀ[out, N·H'·W'] = W[out, in·k·k] · cols[in·k·k, N·H'·W'], then
            // one transposing copy to NCHW. (A product per sample left two ND4J views per sample to the collector.)
            long oh = outSize(x.size(2)), ow = outSize(x.size(3));
            INDArray cols = columns(s, x);
            INDArray yt = s.track(Nd4j.create(x.dataType(), out, n * ohw)); // [out, N·H'·W']
            Nd4j.gemm(weight.value().reshape('c', out, k2), cols.reshape('c', k2, n * ohw), yt, false, false, 1.0,
                    0.0);
            s.release(cols);
            INDArray y = s.track(yt.reshape('c', out, n, oh, ow).permute(1, 0, 2, 3).dup('c')); // [N, out, H', W']
            s.release(yt);
            return s.ret(y);
        }
    }

    /**
     * Inference only (no tape): the convolution followed by {@code y · scale + shift} per output channel
     * ([out] each), i.e. an inference-mode BatchNorm folded into it. With {@link Algorithm#NATIVE} the kernel
     * applies it as scaled weights and a bias, without a pass over y; otherwise the affine map is applied in place
     * afterwards; {@link Algorithm#ONEDNN} too (scaled weights and a bias), for 1×1 layers as well (RN50 batch-8
     * forward 0.57–0.59 s against 0.63–0.65 s with the BLAS product and a pass for the shift). Same values up to
     * float rounding. x, scale and shift are borrowed; the result is new.
     */
    public INDArray forwardAffine(INDArray x, INDArray scale, INDArray shift) {
        try (Scope s = Scope.open()) {
            boolean shaped = x.rank() == 4 && x.size(1) == in;
            if (shaped && gemmApplies(x)) return s.ret(channelsLastGemm(s, x, weight.value(), scale, shift));
            boolean oneDnn = shaped && oneDnnApplies(x);
            if (!oneDnn && !(shaped && algorithm == Algorithm.NATIVE)) {
                INDArray y = forward(x, null);                                             // owned by s
                return s.ret(Channels.addInPlace(Channels.mulInPlace(y, scale), shift));
            }
            // NATIVE and ONEDNN: the kernel applies the map as scaled weights and a bias, no pass over y
            INDArray folded = s.track(BufferPool.create(x.dataType(), out, in, kernel, kernel)); // OIHW · scale
            folded.assign(weight.value());
            folded.reshape('c', out, in * kernel * kernel).muliColumnVector(scale.reshape('c', out, 1));
            INDArray y = s.track(Tensors.create4(x.dataType(), Tensors.isChannelsLast(x), x.size(0), out,
                    outSize(x.size(2)), outSize(x.size(3))));
            if (oneDnn) {
                INDArray bias = Kernels.applies(shift) && shift.length() == out ? shift
                        : s.track(BufferPool.create(x.dataType(), out).assign(shift.reshape(out)));
                OneDnnConv.forward(geometry(x), x, folded, bias, y);
            } else {
                Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(x, folded, shift).addOutputs(y)
                        .addIntegerArguments(nativeArgs()).build());
            }
            s.release(folded);
            return s.ret(y);
        }
    }

    /**
     * True where {@link Algorithm#GEMM}'s channels-last im2col + one GEMM forward ({@link #channelsLastGemm})
     * applies: a channels-last float32 x on the CPU backend, of the weight's type. With it the backward of a
     * channels-last dy is {@link #channelsLastGemmBackward} (RN50 forward+backward 3.47–3.96 s against
     * 4.06–4.25 s with oneDNN-AVX2's {@code conv2d_bp}).
     */
    private boolean gemmApplies(INDArray x) {
        return algorithm == Algorithm.GEMM && channelsLastFloat(x);
    }

    /** True where {@link Algorithm#ONEDNN}'s primitives take x: channels-last float32 on the CPU, oneDNN loaded. */
    private boolean oneDnnApplies(INDArray x) {
        return algorithm == Algorithm.ONEDNN && channelsLastFloat(x) && OneDnnConv.applies(weight.value());
    }

    /** A channels-last x that the Java kernels read (float32 on the CPU), of the weight's type. */
    private boolean channelsLastFloat(INDArray x) {
        return x.rank() == 4 && Tensors.isChannelsLast(x) && Kernels.applies(Tensors.dense(x))
                && x.dataType() == weight.value().dataType();
    }

    /** This layer's shape for a [N, in, H, W] input, the key of {@link OneDnnConv}'s primitives. */
    private OneDnnConv.Geometry geometry(INDArray x) {
        return new OneDnnConv.Geometry(x.size(0), in, x.size(2), x.size(3), out, kernel, stride, padding);
    }

    /**
     * The backward through oneDNN's primitives: dx (new, channels last, tracked by {@code s}) from its
     * backward-data primitive, and the weight gradient added into {@code weight.grad()} by its backward-weights
     * primitive. A dy that is not channels last is copied to that layout first. Without {@code inputGradient}
     * the backward-data primitive does not run and null is returned.
     */
    private INDArray oneDnnBackward(Scope s, INDArray x, INDArray dy, boolean inputGradient) {
        INDArray g = Tensors.isChannelsLast(dy) ? dy : s.track(Tensors.toChannelsLast(dy));
        INDArray dx = !inputGradient ? null
                : s.track(Tensors.create4(x.dataType(), true, x.size(0), in, x.size(2), x.size(3)));
        OneDnnConv.backward(geometry(x), x, g, weight.value(), dx, weight.grad());
        if (g != dy) s.release(g);
        return dx;
    }

    /**
     * The convolution as one product: cols [N·H'·W', k·k·in] (channels-last im2col) times the weight as
     * [out, k·k·in] (OHWI: a permuted copy, scaled per output channel by {@code scale} if given), plus
     * {@code shift} per output channel if given. Returns a channels-last y tracked by {@code s}.
     */
    private INDArray channelsLastGemm(Scope s, INDArray x, INDArray w, INDArray scale, INDArray shift) {
        long n = x.size(0), oh = outSize(x.size(2)), ow = outSize(x.size(3)), k2 = in * kernel * kernel;
        INDArray cols = pointwise() ? pixels(x) : s.track(BufferPool.create(x.dataType(), n * oh * ow, k2));
        if (!pointwise()) Kernels.im2colChannelsLast(Tensors.dense(x), kernel, stride, padding, cols); // [N·H'·W', k·k·in]
        INDArray w2 = s.track(BufferPool.create(x.dataType(), out, kernel, kernel, in));    // OHWI
        w2.assign(w.permute(0, 2, 3, 1));
        INDArray wRows = w2.reshape('c', out, k2);
        if (scale != null) wRows.muliColumnVector(scale.reshape('c', out, 1));
        INDArray base = BufferPool.create(x.dataType(), n, oh, ow, out);                   // y as [N, H', W', out]
        INDArray y = s.track(base.permute(0, 3, 1, 2));
        INDArray y2 = base.reshape('c', n * oh * ow, out);
        Nd4j.gemm(cols, wRows, y2, false, true, 1.0, 0.0);
        if (shift != null) y2.addiRowVector(shift);
        if (!pointwise()) s.release(cols);
        s.release(w2);
        return y;
    }

    /**
     * The backward of {@link #channelsLastGemm} as two products over the column matrices: with cols the
     * channels-last im2col of x (rebuilt) and W as [out, k·k·in] (OHWI), {@code dW += dYᵀ·cols} (added into the
     * OIHW gradient through a permuted view) and {@code dcols = dY·W}, which col2im sums back onto the pixels.
     * Returns a channels-last dx tracked by {@code s}.
     */
    private INDArray channelsLastGemmBackward(Scope s, INDArray x, INDArray dy) {
        long n = x.size(0), h = x.size(2), w = x.size(3), oh = dy.size(2), ow = dy.size(3), k2 = in * kernel * kernel;
        INDArray dy2 = pixels(dy);                                                            // [N·H'·W', out]
        INDArray cols = s.track(BufferPool.create(x.dataType(), n * oh * ow, k2));            // [N·H'·W', k·k·in]
        Kernels.im2colChannelsLast(Tensors.dense(x), kernel, stride, padding, cols);
        INDArray dw2 = s.track(BufferPool.create(x.dataType(), out, k2));                    // OHWI rows
        Nd4j.gemm(dy2, cols, dw2, true, false, 1.0, 0.0);
        weight.grad().permute(0, 2, 3, 1).addi(dw2.reshape('c', out, kernel, kernel, in));
        s.release(dw2);
        INDArray w2 = s.track(BufferPool.create(x.dataType(), out, kernel, kernel, in));      // OHWI
        w2.assign(weight.value().permute(0, 2, 3, 1));
        Nd4j.gemm(dy2, w2.reshape('c', out, k2), cols, false, false, 1.0, 0.0);              // dcols, into cols
        s.release(w2);
        INDArray base = BufferPool.create(x.dataType(), n, h, w, in);                        // dx as [N, H, W, in]
        INDArray dx = s.track(base.permute(0, 3, 1, 2));
        Kernels.col2imChannelsLast(cols, kernel, stride, padding, base);
        s.release(cols);
        return dx;
    }

    /**
     * {@code dy}: [N, out, H', W'] (borrowed) → new dx [N, in, H, W]. With cols the im2col matrix of x:
     * {@code dW += Σ_i dy[i] · cols[i]ᵀ} and {@code dcols[i] = Wᵀ · dy[i]}, which col2im sums back onto the
     * pixels. The columns are rebuilt from x rather than kept: cheap next to the products, k² times less memory.
     */
    public INDArray backward(INDArray dy, Tape tape) {
        return backward(dy, tape, true);
    }

    /**
     * As {@link #backward(INDArray, Tape)}; with {@code inputGradient} false only the weight gradient is
     * accumulated and null is returned — for a first layer, whose input (the pixels) needs no gradient. The oneDNN
     * path then skips its backward-data primitive (RN50's stem: 3.4–4.4 ms of kernel and a 4.8 MB reorder per
     * step); the other paths compute dx and free it.
     */
    public INDArray backward(INDArray dy, Tape tape, boolean inputGradient) {
        try (Scope s = Scope.open()) {
            INDArray x = tape.pop(this, Saved.class, s).x();
            if (!inputGradient && oneDnnBackwardApplies(x, dy)) {
                oneDnnBackward(s, x, dy, false);                           // the weight gradient only
                return null;
            }
            INDArray dx = backward(s, x, dy);
            if (inputGradient) return s.ret(dx);
            return null; // s frees dx
        }
    }

    /** True where backward takes the channels-last GEMM path. */
    private boolean gemmBackwardApplies(INDArray x, INDArray dy) {
        return gemmApplies(x) && Tensors.isChannelsLast(dy) && Kernels.applies(Tensors.dense(dy));
    }

    /** True where backward takes oneDNN's path (the paths before it in {@link #backward} do not apply). */
    private boolean oneDnnBackwardApplies(INDArray x, INDArray dy) {
        return !blasPointwise(x) && !gemmBackwardApplies(x, dy) && oneDnnApplies(x) && OneDnnConv.applies(dy);
    }

    /** The backward proper: dx tracked by {@code s}, the weight gradient accumulated. */
    private INDArray backward(Scope s, INDArray x, INDArray dy) {
        if (blasPointwise(x)) return pointwiseChannelsLastBackward(s, x, dy);
        if (gemmBackwardApplies(x, dy)) return channelsLastGemmBackward(s, x, dy);
        if (oneDnnBackwardApplies(x, dy)) return oneDnnBackward(s, x, dy, true);
        if (algorithm == Algorithm.NATIVE) return nativeBackward(s, x, dy);
        long n = x.size(0), k2 = in * kernel * kernel, oh = dy.size(2), ow = dy.size(3);
        // dY as [out, N·H'·W'] (a transposing copy), then one product each for the whole batch:
        // dW += dY · colsᵀ and dcols = Wᵀ · dY, with cols the [in·k·k, N·H'·W'] columns of x (rebuilt).
        INDArray dyt = s.track(dy.permute(1, 0, 2, 3).dup('c'));                  // [out, N, H', W']
        INDArray dY = dyt.reshape('c', out, n * oh * ow);
        INDArray cols = columns(s, x);
        Nd4j.gemm(dY, cols.reshape('c', k2, n * oh * ow), weight.grad().reshape('c', out, k2), false, true, 1.0,
                1.0);                                                                 // a view: accumulates
        s.release(cols);
        INDArray dcols = s.track(Nd4j.create(x.dataType(), k2, n * oh * ow));     // [in·k·k, N·H'·W']
        Nd4j.gemm(weight.value().reshape('c', out, k2), dY, dcols, true, false, 1.0, 0.0);
        s.release(dyt);
        INDArray dc; // pointwise: dx itself; otherwise [N, in, k, k, H', W'] for col2im
        if (pointwise()) {
            dc = s.track(dcols.reshape('c', in, n, oh, ow).permute(1, 0, 2, 3).dup('c'));
        } else {
            dc = s.track(dcols.reshape('c', in, kernel, kernel, n, oh, ow).permute(3, 0, 1, 2, 4, 5).dup('c'));
        }
        s.release(dcols);
        if (pointwise()) return dc;
        INDArray dx = col2im(s, dc, x.shape());
        s.release(dc);
        return dx;
    }

    /**
     * The 1×1 channels-last backward as two products over the pixel matrices: {@code dW += dYᵀ·X} (accumulated
     * by the BLAS call itself) and {@code dX = dY·W}, dX channels last, tracked by {@code s}. About 3× faster
     * than {@code conv2d_bp}, whose oneDNN kernels work in a blocked layout and transpose x, dy and dx into and
     * out of it.
     */
    private INDArray pointwiseChannelsLastBackward(Scope s, INDArray x, INDArray dy) {
        long n = x.size(0), h = x.size(2), w = x.size(3);
        INDArray g = Tensors.isChannelsLast(dy) ? dy : s.track(Tensors.toChannelsLast(dy));
        INDArray dy2 = pixels(g);                                                     // [N·H·W, out]
        Nd4j.gemm(dy2, pixels(x), weight.grad().reshape('c', out, in), true, false, 1.0, 1.0);
        INDArray base = BufferPool.create(x.dataType(), n, h, w, in);                 // dx as [N, H, W, in]
        INDArray dx = s.track(base.permute(0, 3, 1, 2));
        Nd4j.gemm(dy2, weight.value().reshape('c', out, in), base.reshape('c', n * h * w, in), false, false,
                1.0, 0.0);
        if (g != dy) s.release(g);
        return dx;
    }

    /** The [N·H·W, C] pixel matrix of a channels-last [N, C, H, W] array (a view). */
    private static INDArray pixels(INDArray x) {
        return Tensors.dense(x).reshape('c', x.size(0) * x.size(2) * x.size(3), x.size(1));
    }

    /**
     * {@code conv2d_bp} writes dx (in x's layout, tracked by {@code s}) and a fresh dW (it overwrites its
     * outputs), so dW is added to the accumulated gradient afterwards.
     */
    private INDArray nativeBackward(Scope s, INDArray x, INDArray dy) {
        INDArray dx = s.track(Tensors.create4(x.dataType(), Tensors.isChannelsLast(x), x.size(0), in, x.size(2),
                x.size(3)));
        INDArray dw = s.track(BufferPool.create(x.dataType(), out, in, kernel, kernel));
        Nd4j.exec(DynamicCustomOp.builder("conv2d_bp").addInputs(x, weight.value(), dy).addOutputs(dx, dw)
                .addIntegerArguments(nativeArgs()).build());
        weight.accumulate(dw);
        s.release(dw);
        return dx;
    }

    /**
     * iArgs of libnd4j's conv2d ops: kH, kW, sH, sW, pH, pW, dilation 1, 1, explicit padding (0), NCHW (0),
     * weights [oC, iC, kH, kW] (format 1).
     */
    private int[] nativeArgs() {
        return new int[] {kernel, kernel, stride, stride, padding, padding, 1, 1, 0, 0, 1};
    }

    /**
     * True where a 1×1 layer runs as one BLAS product of the channels-last pixel matrix: every channels-last x,
     * except where training's 1×1 layers go to oneDNN ({@link OneDnnConv#pointwise}, CPUs without AVX-512).
     */
    private boolean blasPointwise(INDArray x) {
        return pointwise() && Tensors.isChannelsLast(x) && !(OneDnnConv.pointwise() && oneDnnApplies(x));
    }

        /** A 1×1 convolution with stride 1 and no padding needs no im2col: x itself is the column matrix. */
    private boolean pointwise() {
        return kernel == 1 && stride == 1 && padding == 0;
    }

    /**
     * im2col as [in, k, k, N, H', W'] (as a matrix [in·k·k, N·H'·W']): entry (c, u, v, i, p, q) is the
     * input pixel that tap (u, v) of channel c sees at output position (p, q) of sample i (zero in the padding).
     * Its rows are in the weight's (in, kH, kW) order, so {@code Yᵀ = W[out, in·k·k] · cols}. For a pointwise
     * conv it is x with the batch and channel axes swapped, [in, N, H, W]. New and tracked by {@code s}.
     *
     * <p>Built with k² strided copies, one per tap, from a zero-padded copy of x: simpler and here over twice as
     * fast as libnd4j's {@code im2col} op.
     */
    private INDArray columns(Scope s, INDArray x) {
        long n = x.size(0), h = x.size(2), w = x.size(3), oh = outSize(h), ow = outSize(w);
        if (pointwise()) return s.track(x.permute(1, 0, 2, 3).dup('c'));
        INDArray src = x;
        if (padding > 0) {
            src = s.track(Nd4j.zeros(x.dataType(), n, in, h + 2L * padding, w + 2L * padding));
            src.get(all(), all(), interval(padding, padding + h), interval(padding, padding + w)).assign(x);
        }
        INDArray cols = s.track(Nd4j.create(x.dataType(), in, kernel, kernel, n, oh, ow));
        for (int u = 0; u < kernel; u++) {
            for (int v = 0; v < kernel; v++) {                                     // [in, N, H', W'] each
                cols.get(all(), point(u), point(v), all(), all(), all())
                        .assign(src.get(all(), all(), taps(u, oh), taps(v, ow)).permute(1, 0, 2, 3));
            }
        }
        if (src != x) s.release(src);
        return cols;
    }

    /**
     * col2im, the adjoint of {@link #columns}: every tap's column gradient is added back onto its pixels. Done by
     * libnd4j's {@code col2im} op (iArgs sH, sW, pH, pW, H, W, dilation 1, 1, explicit padding), which is several
     * times faster than adding into strided views. The result is new and tracked by {@code s}.
     */
    private INDArray col2im(Scope s, INDArray dc, long[] xShape) {
        INDArray dx = s.track(Nd4j.create(dc.dataType(), xShape));
        Nd4j.exec(DynamicCustomOp.builder("col2im").addInputs(dc).addOutputs(dx)
                .addIntegerArguments(stride, stride, padding, padding, (int) xShape[2], (int) xShape[3], 1, 1, 0)
                .build());
        return dx;
    }

    /** Rows (or columns) of the padded input that tap offset u reads for the o output positions. */
    private INDArrayIndex taps(int u, long o) {
        return interval(u, stride, u + stride * (o - 1) + 1);
    }
}
