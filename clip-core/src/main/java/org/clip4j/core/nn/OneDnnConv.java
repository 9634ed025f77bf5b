package org.clip4j.core.nn;

import org.bytedeco.dnnl.convolution_backward_data;
import org.bytedeco.dnnl.convolution_backward_weights;
import org.bytedeco.dnnl.convolution_forward;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.algorithm.convolution_direct;
import static org.bytedeco.dnnl.global.dnnl.prop_kind.forward_inference;
import static org.bytedeco.dnnl.global.dnnl.prop_kind.forward_training;

/**
 * Convolutions through oneDNN's primitives, called directly (JavaCPP's {@code org.bytedeco:dnnl} binding, oneDNN
 * 2.5) on channels-last float32 arrays in host memory: the kernels PyTorch runs on the CPU, handed the arrays as
 * they are (activations nhwc, weights OIHW) and created once per shape.
 *
 * <p>Why not libnd4j's {@code conv2d_bp}, which is the same library: it asks oneDNN for its preferred (blocked)
 * layout, so every call reorders x, dy (twice) and dx into it and back, and rebuilds its descriptors; RN50's 3×3
 * backward ran at 60–130 GFLOP/s through it against 210–250 here on one AVX-512 machine, and the plain ND4J build
 * (no oneDNN) has no fast convolution at all. oneDNN picks its kernels by the CPU it runs on (AVX-512, AVX2, …),
 * independent of which ND4J build is loaded.
 *
 * <p>What is cached, per geometry (batch, channels, size, kernel, stride, padding): the primitives, the memory
 * descriptors and argument maps, which point at the caller's buffers through handles set on each call. The
 * weights in oneDNN's preferred layout live in {@link BufferPool} arrays for the length of one call. The cache
 * holds native objects of a few kilobytes per geometry for the life of the process; a geometry runs one call at
 * a time, and each thread executes on its own stream, so a model shared by threads (inference) is safe.
 *
 * <p>{@link #available()} is false, and callers use ND4J's paths, if the binding or its natives (the
 * {@code linux-x86_64} jar) cannot be loaded, on a non-CPU backend, or with {@code -Dclip4j.onednn=false}.
 */
final class OneDnnConv {
    private static final Logger LOG = LoggerFactory.getLogger(OneDnnConv.class);
    private static final Dnnl DNNL = Dnnl.load();
    private static final Map<Geometry, Primitives> CACHE = new ConcurrentHashMap<>();
    /**
     * Whether oneDNN runs only AVX2 kernels here (no AVX-512: AMD EPYC/Ryzen before Zen 4, older Xeons). Its AVX2
     * kernels compute a weight gradient far faster from blocked activations (nChw8c) than from nhwc — RN50's 64→64
     * 3×3 layer at 56×56, batch 8: 9.5 ms blocked, as PyTorch runs it, against 25 ms — and its 1×1 kernels beat
     * ND4J's products there (RN50's 1×1 layers: 0.67 against 0.75 s per training step); with AVX-512 neither differs.
     */
    private static final boolean AVX2_KERNELS = avx2Kernels();
    /**
     * Whether training's primitives (forward, backward data, weight gradient) run on oneDNN's preferred (blocked)
     * activation layouts, the nhwc arrays reordered into pooled copies and back around each call: by default on
     * {@link #AVX2_KERNELS}; {@code -Dclip4j.onednn.blocked=true|false} overrides it. Inference stays nhwc.
     */
    private static volatile boolean blocked = choice("clip4j.onednn.blocked");
    /**
     * Whether training's 1×1 convolutions run here too (else as one BLAS product, {@link Conv2d}): by default on
     * {@link #AVX2_KERNELS}; {@code -Dclip4j.onednn.pointwise=true|false} overrides it.
     */
    private static volatile boolean pointwise = choice("clip4j.onednn.pointwise");

    private OneDnnConv() {
    }

    /** A convolution's shape: x [n, in, h, w], weight [out, in, k, k], stride and padding on both axes. */
    record Geometry(long n, long in, long h, long w, long out, int k, int stride, int pad) {
        long oh() {
            return (h + 2L * pad - k) / stride + 1;
        }

        long ow() {
            return (w + 2L * pad - k) / stride + 1;
        }
    }

    /** True if oneDNN's binding loaded and works here (checked once per process). */
    static boolean available() {
        return DNNL != null;
    }

    /**
     * True if oneDNN takes these arrays: all channels-last (or, for weights and bias, C-contiguous) float32 host
     * arrays; nulls are skipped.
     */
    static boolean applies(INDArray... arrays) {
        if (DNNL == null) return false;
        for (INDArray a : arrays) {
            if (a == null) continue;
            if (!Kernels.applies(a.rank() == 4 && Tensors.isChannelsLast(a) ? Tensors.dense(a) : a)) { // float32
                return false;
            }
        }
        return true;
    }

    /**
     * {@code y = conv(x, w) (+ bias)}: x [n, in, h, w] and y [n, out, h', w'] channels last, w OIHW
     * [out, in, k, k], bias [out] or null (then y is overwritten).
     */
    static void forward(Geometry g, INDArray x, INDArray w, INDArray bias, INDArray y) {
        Primitives p = primitives(g);
        synchronized (p) {
            Kernel f = bias == null ? p.training(blocked(g)) : p.withBias();
            set(p.src, x);
            set(p.dst, y);
            if (bias != null) set(f.bias(), bias);
            try (Scope s = Scope.open()) {
                run(s, p, f, w);
            }
        }
    }

    /**
     * The backward of {@link #forward} (no bias): {@code dx = conv_backward_data(dy, w)}, overwritten, and
     * {@code dw += conv_backward_weights(x, dy)}; x, dy and dx channels last, dw the OIHW gradient [out, in, k, k]
     * (C-contiguous), to which the result is added (a sum post-op of the reorder out of oneDNN's layout). On blocked
     * activations ({@link #blocked}) dy is reordered once for both primitives when they want the same layout.
     * A null dx skips the backward-data primitive (a first layer: the input needs no gradient).
     */
    static void backward(Geometry g, INDArray x, INDArray dy, INDArray w, INDArray dx, INDArray dw) {
        Primitives p = primitives(g);
        synchronized (p) {
            Kernel k = dx == null ? null : p.data(blocked(g));
            Weights d = p.weightGradient(blocked(g));
            try (Scope s = Scope.open()) {
                set(p.diffDst, dy);
                if (k != null) {
                    set(p.diffSrc, dx);
                    run(s, p, k, w);
                }
                INDArray dk = s.track(BufferPool.create(DataType.FLOAT, d.diffWeights.get_desc().get_size() / 4));
                set(p.src, x);
                set(d.diffWeights, dk);
                if (d.srcIn() != null) reorderIn(s, d.srcIn(), p.src, d.src());
                if (d.diffDstIn() != null) {
                    if (k != null && k.in() != null && k.in().get_desc().equals(d.diffDst().get_desc())) {
                        d.diffDst().set_data_handle(k.in().get_data_handle()); // backward-data's copy of dy
                    } else {
                        reorderIn(s, d.diffDstIn(), p.diffDst, d.diffDst());
                    }
                }
                d.conv.execute(DNNL.stream(), d.args);
                set(p.weights, dw);
                d.addToUser.execute(DNNL.stream(), d.diffWeights, p.weights);
                DNNL.stream()._wait();
            }
        }
    }

    /**
     * Reorders w into the kernel's weight layout and, on blocked activations, its input into the kernel's
     * layout (pooled arrays owned by {@code s}), runs the kernel and reorders its output back.
     */
    private static void run(Scope s, Primitives p, Kernel k, INDArray w) {
        INDArray wk = s.track(BufferPool.create(DataType.FLOAT, k.weights().get_desc().get_size() / 4));
        set(p.weights, w);
        set(k.weights(), wk);
        k.toKernel().execute(DNNL.stream(), p.weights, k.weights());
        if (k.inReorder() != null) {
            reorderIn(s, k.inReorder(), k.userIn(), k.in());
            set(k.out(), s.track(BufferPool.create(DataType.FLOAT, k.out().get_desc().get_size() / 4)));
        }
        k.conv().execute(DNNL.stream(), k.args());
        if (k.outReorder() != null) k.outReorder().execute(DNNL.stream(), k.out(), k.userOut());
        DNNL.stream()._wait();
    }

    /** Reorders {@code from} into {@code to} (the kernel's layout), backed by a pooled array owned by {@code s}. */
    private static void reorderIn(Scope s, reorder r, memory from, memory to) {
        set(to, s.track(BufferPool.create(DataType.FLOAT, to.get_desc().get_size() / 4)));
        r.execute(DNNL.stream(), from, to);
    }

    private static Primitives primitives(Geometry g) {
        return CACHE.computeIfAbsent(g, Primitives::new);
    }

    private static boolean avx2Kernels() {
        if (DNNL == null) return false;
        int avx512 = org.bytedeco.dnnl.global.dnnl.cpu_isa.avx512_core.value;
        return (org.bytedeco.dnnl.global.dnnl.get_effective_cpu_isa().value & avx512) != avx512;
    }

    /** A policy's system property: "true", "false", or (default) "auto" = {@link #AVX2_KERNELS}. */
    private static boolean choice(String property) {
        String v = System.getProperty(property, "auto");
        return v.equals("auto") ? AVX2_KERNELS : Boolean.parseBoolean(v);
    }

    /**
     * Whether g's training primitives run on blocked activations ({@link #blocked}): k×k layers only — for 1×1
     * layers the AVX2 kernels gain less than the four reorders cost (RN50: 15.2 against 16.3 ms of kernels per
     * layer and step, ≈ 2 ms of reorders).
     */
    private static boolean blocked(Geometry g) {
        return blocked && g.k() > 1;
    }

    /** Whether training's 1×1 convolutions run on oneDNN's primitives (see {@link #pointwise}). */
    static boolean pointwise() {
        return pointwise;
    }

    /** Sets both policies for the process (tests compare both ways on any CPU); returns the previous ones. */
    static boolean[] policies(boolean blocked, boolean onednnPointwise) {
        boolean[] old = {OneDnnConv.blocked, pointwise};
        OneDnnConv.blocked = blocked;
        pointwise = onednnPointwise;
        return old;
    }

    /** oneDNN's own errors (a dnnl::error as a RuntimeException) with the convolution they concern. */
    private static IllegalStateException failure(Geometry g, String what, RuntimeException e) {
        return new IllegalStateException("oneDNN could not " + what + " for the convolution " + g + ": "
                + e.getMessage() + " (-Dclip4j.conv=gemm avoids oneDNN)", e);
    }

    /** Points a memory object at an array's first element (channels-last arrays: their dense buffer). */
    private static void set(memory m, INDArray a) {
        INDArray d = a.rank() == 4 && Tensors.isChannelsLast(a) ? Tensors.dense(a) : a;
        long base = d.data().address() + 4 * d.offset();
        m.set_data_handle(new Pointer() {
            {
                address = base; // Pointer's field (a local named "address" would be shadowed by it here): no
            }                   // native memory of its own, the array owns it
        });
    }

    // ------------------------------------------------------------------------------------------ the binding

    /**
     * The process's engine, or null where oneDNN cannot run, and a stream per thread (a oneDNN stream is not
     * thread-safe; on the CPU it is a small handle and executes on the calling thread).
     */
    private record Dnnl(engine engine, ThreadLocal<stream> streams) {
        static Dnnl load() {
            if ("false".equalsIgnoreCase(System.getProperty("clip4j.onednn"))) return null;
            try {
                if (!org.nd4j.linalg.factory.Nd4j.getEnvironment().isCPU()) return null;
                engine e = new engine(org.bytedeco.dnnl.engine.kind.cpu, 0);
                new stream(e).close();                        // fails here, not later, if the natives cannot run
                return new Dnnl(e, ThreadLocal.withInitial(() -> new stream(e)));
            } catch (LinkageError | RuntimeException e) {
                LOG.debug("oneDNN binding not available, convolutions stay on ND4J: {}", e.toString());
                return null;
            }
        }

        stream stream() {
            return streams.get();
        }
    }

    /** A memory descriptor of a float32 tensor with the given dimensions and layout. */
    private static memory.desc desc(memory.format_tag tag, long... dims) {
        return new memory.desc(dims, memory.data_type.f32, tag);
    }

    /** A primitive's argument map of three (argument, memory) pairs. */
    private static IntMemoryMap arguments(int a, memory ma, int b, memory mb, int c, memory mc) {
        IntMemoryMap args = new IntMemoryMap();
        args.put(a, ma);
        args.put(b, mb);
        args.put(c, mc);
        return args;
    }

    /** A memory object for {@code d} with no buffer yet (its handle is set on each call). */
    private static memory unbound(memory.desc d) {
        return new memory(d, DNNL.engine, new Pointer());
    }

    /**
     * A primitive that reads the weights (in its own layout: {@code toKernel} reorders them), and its arguments.
     * On blocked activations ({@link #blocked}) {@code in} and {@code out} are pooled copies in the kernel's
     * layout: {@code inReorder} fills {@code in} from {@code userIn} (the caller's nhwc input) before the kernel,
     * {@code outReorder} writes {@code out} to {@code userOut} after it; otherwise these six are null.
     */
    private record Kernel(primitive conv, memory weights, reorder toKernel, memory bias, IntMemoryMap args,
                          memory userIn, memory in, reorder inReorder, memory out, memory userOut, reorder outReorder) {
        Kernel(primitive conv, memory weights, reorder toKernel, memory bias, IntMemoryMap args) {
            this(conv, weights, toKernel, bias, args, null, null, null, null, null, null);
        }
    }

    /**
     * The weight-gradient primitive and its arguments: {@code src} and {@code diffDst} are the activations in the
     * kernel's layout — the caller's nhwc memories themselves, or pooled copies that {@code srcIn} and
     * {@code diffDstIn} reorder into (see {@link #blocked}).
     */
    private record Weights(convolution_backward_weights conv, memory diffWeights, reorder addToUser, IntMemoryMap args,
                           memory src, reorder srcIn, memory diffDst, reorder diffDstIn) {
    }

    /** The cached primitives of one geometry; the backward and bias variants are built on first use. */
    private static final class Primitives {
        final Geometry g;
        final memory.desc x, y, w, anyW, b;                   // x, y nhwc; w OIHW; anyW: oneDNN's choice
        final memory.desc anyX, anyY;                         // x, y in oneDNN's choice of layout
        final memory src, dst, diffSrc, diffDst, weights;    // the caller's buffers (handles set per call)
        final long[] strides, padding;
        convolution_forward.primitive_desc hint;             // forward_training: the backward's hint
        Kernel training;
        Kernel blockedTraining;                              // on blocked activations (the AVX2 policy)
        Kernel blockedData;
        convolution_forward.primitive_desc blockedHint;
        Kernel withBias;
        Kernel data;
        Weights weightGradient;                              // from nhwc x and dy
        Weights blockedGradient;                             // from x and dy reordered into oneDNN's layout

        Primitives(Geometry g) {
            this.g = g;
            x = desc(memory.format_tag.nhwc, g.n(), g.in(), g.h(), g.w());
            y = desc(memory.format_tag.nhwc, g.n(), g.out(), g.oh(), g.ow());
            w = desc(memory.format_tag.oihw, g.out(), g.in(), g.k(), g.k());
            anyW = desc(memory.format_tag.any, g.out(), g.in(), g.k(), g.k());
            anyX = desc(memory.format_tag.any, g.n(), g.in(), g.h(), g.w());
            anyY = desc(memory.format_tag.any, g.n(), g.out(), g.oh(), g.ow());
            b = desc(memory.format_tag.x, g.out());
            strides = new long[] {g.stride(), g.stride()};
            padding = new long[] {g.pad(), g.pad()};
            src = unbound(x);
            dst = unbound(y);
            diffSrc = unbound(x);
            diffDst = unbound(y);
            weights = unbound(w);
        }

        private convolution_forward.primitive_desc hint() {
            if (hint == null) {
                hint = new convolution_forward.primitive_desc(new convolution_forward.desc(forward_training,
                        convolution_direct, x, anyW, y, strides, padding, padding), DNNL.engine);
            }
            return hint;
        }

        /** {@code make}'s result; oneDNN's errors in it name this geometry and {@code what} failed. */
        private <T> T guarded(String what, Supplier<T> make) {
            try {
                return make.get();
            } catch (RuntimeException e) {
                throw failure(g, what, e);
            }
        }

        Kernel training(boolean blocked) {
            if (blocked) {
                if (blockedTraining == null) {
                    blockedTraining = guarded("create the forward primitive", () -> {
                        var pd = blockedHint();
                        return reordered(forward(pd, null), pd.src_desc(), pd.dst_desc(), DNNL_ARG_SRC, DNNL_ARG_DST,
                                src, dst);
                    });
                }
                return blockedTraining;
            }
            if (training == null) training = guarded("create the forward primitive", () -> forward(hint(), null));
            return training;
        }

        /** The forward_training descriptor on oneDNN's preferred activation layouts (the blocked primitives' hint). */
        private convolution_forward.primitive_desc blockedHint() {
            if (blockedHint == null) {
                blockedHint = new convolution_forward.primitive_desc(new convolution_forward.desc(forward_training,
                        convolution_direct, anyX, anyW, anyY, strides, padding, padding), DNNL.engine);
            }
            return blockedHint;
        }

        /**
         * k with its input and output arguments ({@code inArg}, {@code outArg}) moved to memories of the kernel's
         * layouts where these differ from the caller's ({@code userIn}, {@code userOut}, nhwc), with the reorders.
         */
        private Kernel reordered(Kernel k, memory.desc inDesc, memory.desc outDesc, int inArg, int outArg,
                                 memory userIn, memory userOut) {
            if (inDesc.equals(userIn.get_desc()) && outDesc.equals(userOut.get_desc())) return k;
            memory in = unbound(inDesc), out = unbound(outDesc);
            k.args().put(inArg, in);
            k.args().put(outArg, out);
            return new Kernel(k.conv(), k.weights(), k.toKernel(), k.bias(), k.args(), userIn, in,
                    new reorder(userIn, in), out, userOut, new reorder(out, userOut));
        }

        Kernel withBias() {
            if (withBias == null) {
                withBias = guarded("create the forward primitive with a bias", () -> forward(new convolution_forward.primitive_desc(new convolution_forward.desc(
                        forward_inference, convolution_direct, x, anyW, b, y, strides, padding, padding),
                        DNNL.engine), unbound(b)));
            }
            return withBias;
        }

        private Kernel forward(convolution_forward.primitive_desc pd, memory bias) {
            memory kernelWeights = unbound(pd.weights_desc());
            IntMemoryMap args = arguments(DNNL_ARG_SRC, src, DNNL_ARG_WEIGHTS, kernelWeights, DNNL_ARG_DST, dst);
            if (bias != null) args.put(DNNL_ARG_BIAS, bias);
            return new Kernel(new convolution_forward(pd), kernelWeights, new reorder(weights, kernelWeights), bias,
                    args);
        }

        Kernel data(boolean blocked) {
            if (blocked) {
                if (blockedData == null) {
                    blockedData = guarded("create the backward-data primitive", () -> backwardData(true));
                }
                return blockedData;
            }
            if (data == null) data = guarded("create the backward-data primitive", () -> backwardData(false));
            return data;
        }

        /** The backward-data primitive on nhwc dy and dx, or on oneDNN's preferred layouts ({@code blocked}). */
        private Kernel backwardData(boolean blocked) {
            var pd = new convolution_backward_data.primitive_desc(new convolution_backward_data.desc(
                    convolution_direct, blocked ? anyX : x, anyW, blocked ? anyY : y, strides, padding, padding),
                    DNNL.engine, blocked ? blockedHint() : hint());
            memory kernelWeights = unbound(pd.weights_desc());
            Kernel k = new Kernel(new convolution_backward_data(pd), kernelWeights, new reorder(weights, kernelWeights),
                    null, arguments(DNNL_ARG_DIFF_DST, diffDst, DNNL_ARG_WEIGHTS, kernelWeights, DNNL_ARG_DIFF_SRC,
                    diffSrc));
            return !blocked ? k : reordered(k, pd.diff_dst_desc(), pd.diff_src_desc(), DNNL_ARG_DIFF_DST,
                    DNNL_ARG_DIFF_SRC, diffDst, diffSrc);
        }

        Weights weightGradient(boolean blocked) {
            if (blocked) {
                if (blockedGradient == null) {
                    blockedGradient = guarded("create the backward-weights primitive", () -> backwardWeights(true));
                }
                return blockedGradient;
            }
            if (weightGradient == null) {
                weightGradient = guarded("create the backward-weights primitive", () -> backwardWeights(false));
            }
            return weightGradient;
        }

        /** The weight-gradient primitive on nhwc activations, or on oneDNN's preferred layout ({@code blocked}). */
        private Weights backwardWeights(boolean blocked) {
            memory.desc xk = blocked ? anyX : x, yk = blocked ? anyY : y;
            var hintPd = blocked ? blockedHint() : hint();
            var pd = new convolution_backward_weights.primitive_desc(new convolution_backward_weights.desc(
                    convolution_direct, xk, anyW, yk, strides, padding, padding), DNNL.engine, hintPd);
            memory kernelGrad = unbound(pd.diff_weights_desc());
            post_ops sum = new post_ops();
            sum.append_sum();                                 // scale 1: the reorder adds into its destination
            primitive_attr attr = new primitive_attr();
            attr.set_post_ops(sum);
            var add = new reorder(new reorder.primitive_desc(kernelGrad, weights, attr, false));
            boolean copyX = !pd.src_desc().equals(x), copyY = !pd.diff_dst_desc().equals(y);
            memory xm = copyX ? unbound(pd.src_desc()) : src, ym = copyY ? unbound(pd.diff_dst_desc()) : diffDst;
            return new Weights(new convolution_backward_weights(pd), kernelGrad, add, arguments(
                    DNNL_ARG_SRC, xm, DNNL_ARG_DIFF_DST, ym, DNNL_ARG_DIFF_WEIGHTS, kernelGrad),
                    xm, copyX ? new reorder(src, xm) : null, ym, copyY ? new reorder(diffDst, ym) : null);
        }
    }
}
