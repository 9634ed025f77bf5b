package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELU;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Element-wise MLP activations of CLIP, with their derivatives. Both return new arrays and follow the layers'
 * rule: arguments are borrowed, and the result is {@linkplain Scope#ret returned} into the caller's scope (or,
 * outside any scope, owned by the caller).
 */
public enum Activation {
    /**
     * {@code x · sigmoid(1.702 x)}: the sigmoid approximation of GELU that OpenAI trained its CLIP models with
     * (1.702 makes sigmoid(1.702x) ≈ Φ(x), the normal CDF). OpenAI weights need it.
     */
    QUICK_GELU {
        @Override
        public INDArray forward(INDArray x) {
            try (Scope sc = Scope.open()) {
                if (x.dataType() == DataType.FLOAT) {
                    // ND4J's "gelu" transform is exactly x·σ(1.702x) in float (bit-identical to the three-op
                    // form below): one pass instead of three. Its constant is a float, so double keeps the
                    // explicit form.
                    INDArray y = sc.track(BufferPool.create(DataType.FLOAT, x.shape())); // overwritten
                    Nd4j.exec(new GELU(x, y));
                    return sc.ret(y);
                }
                INDArray s = sc.track(x.mul(K));
                Transforms.sigmoid(s, false);     // σ(1.702x), in place
                return sc.ret(s.muli(x));
            }
        }

        /** d/dx = σ + 1.702·x·σ·(1 − σ). */
        @Override
        public INDArray backward(INDArray x, INDArray dy) {
            try (Scope sc = Scope.open()) {
                INDArray s = sc.track(x.mul(K));
                Transforms.sigmoid(s, false);                              // σ, in place
                INDArray t = sc.track(s.rsub(1.0)).muli(s).muli(x).muli(K); // 1.702·x·σ(1−σ)
                t.addi(s).muli(dy);
                return sc.ret(t);
            }
        }
    },

    /** Exact GELU {@code x · Φ(x) = x · ½(1 + erf(x/√2))}, used by OpenCLIP configs without "-quickgelu". */
    GELU {
        @Override
        public INDArray forward(INDArray x) {
            try (Scope sc = Scope.open()) {
                return sc.ret(cdf(x, sc).muli(x));
            }
        }

        /** d/dx = Φ(x) + x·φ(x), with φ(x) = exp(−x²/2)/√(2π). */
        @Override
        public INDArray backward(INDArray x, INDArray dy) {
            try (Scope sc = Scope.open()) {
                INDArray phi = cdf(x, sc);
                INDArray pdf = sc.track(x.mul(x)).muli(-0.5);
                Transforms.exp(pdf, false).muli(INV_SQRT_2PI);             // φ(x), in place
                return sc.ret(pdf.muli(x).addi(phi).muli(dy));
            }
        }
    };

    /** The QuickGELU slope: sigmoid(1.702·x) approximates the standard normal CDF. */
    static final double K = 1.702;
    private static final double INV_SQRT_2 = 1.0 / Math.sqrt(2.0);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

    /** Φ(x) = ½(1 + erf(x/√2)) as a new array tracked by {@code s}. */
    private static INDArray cdf(INDArray x, Scope s) {
        INDArray z = s.track(x.mul(INV_SQRT_2));
        Nd4j.exec(new Erf(z, z)); // in place
        return z.addi(1.0).muli(0.5);
    }

    /** The activation of {@code x}, a new array returned into the caller's scope. */
    public abstract INDArray forward(INDArray x);

    /**
     * Gradient with respect to {@code x} given the upstream gradient {@code dy}, a new array returned into the
     * caller's scope.
     */
    public abstract INDArray backward(INDArray x, INDArray dy);

    /**
     * As {@link #backward(INDArray, INDArray)}, given also the forward's output {@code y} (borrowed). QuickGELU
     * then needs no exponential: one fused pass ({@link Kernels#quickGeluBackward}) for float32 arrays.
     */
    public INDArray backward(INDArray x, INDArray y, INDArray dy) {
        if (this == QUICK_GELU && Kernels.applies(x, y, dy)) {
            try (Scope sc = Scope.open()) {
                INDArray dx = sc.track(BufferPool.create(DataType.FLOAT, x.shape())); // overwritten
                Kernels.quickGeluBackward(x, y, dy, dx);
                return sc.ret(dx);
            }
        }
        return backward(x, dy);
    }

    /** QUICK_GELU if {@code quickGelu}, else GELU. */
    public static Activation of(boolean quickGelu) {
        return quickGelu ? QUICK_GELU : GELU;
    }
}
