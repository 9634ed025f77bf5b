package org.clip4j.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.GELU;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Element-wise MLP activations of CLIP, with their derivatives. Both return new arrays. */
public enum Activation {
    /**
     * {@code x · sigmoid(1.702 x)}: the sigmoid approximation of GELU that OpenAI trained its CLIP models with
     * (1.702 makes sigmoid(1.702x) ≈ Φ(x), the normal CDF). OpenAI weights need it.
     */
    QUICK_GELU {
        @Override
        public INDArray forward(INDArray x) {
            if (x.dataType() == DataType.FLOAT) {
                // ND4J's "gelu" transform is exactly x·σ(1.702x) in float (bit-identical to the three-op form
                // below): one pass instead of three. Its constant is a float, so double keeps the explicit form.
                INDArray y = Nd4j.create(DataType.FLOAT, x.shape());
                Nd4j.exec(new GELU(x, y));
                return y;
            }
            INDArray s = Transforms.sigmoid(x.mul(K), false); // σ(1.702x)
            return s.muli(x);
        }

        /** d/dx = σ + 1.702·x·σ·(1 − σ). */
        @Override
        public INDArray backward(INDArray x, INDArray dy) {
            INDArray s = Transforms.sigmoid(x.mul(K), false); // σ
            INDArray t = s.rsub(1.0).muli(s).muli(x).muli(K); // 1.702·x·σ(1−σ)
            t.addi(s).muli(dy);
            Tensors.release(s);
            return t;
        }
    },

    /** Exact GELU {@code x · Φ(x) = x · ½(1 + erf(x/√2))}, used by OpenCLIP configs without "-quickgelu". */
    GELU {
        @Override
        public INDArray forward(INDArray x) {
            INDArray phi = cdf(x);
            return phi.muli(x);
        }

        /** d/dx = Φ(x) + x·φ(x), with φ(x) = exp(−x²/2)/√(2π). */
        @Override
        public INDArray backward(INDArray x, INDArray dy) {
            INDArray phi = cdf(x);
            INDArray pdf = Transforms.exp(x.mul(x).muli(-0.5), false).muli(INV_SQRT_2PI);
            INDArray d = pdf.muli(x).addi(phi).muli(dy);
            Tensors.release(phi);
            return d;
        }
    };

    /** The QuickGELU slope: sigmoid(1.702·x) approximates the standard normal CDF. */
    static final double K = 1.702;
    private static final double INV_SQRT_2 = 1.0 / Math.sqrt(2.0);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);

    /** Φ(x) = ½(1 + erf(x/√2)) as a new array. */
    private static INDArray cdf(INDArray x) {
        INDArray z = x.mul(INV_SQRT_2);
        Nd4j.exec(new Erf(z, z)); // in place
        return z.addi(1.0).muli(0.5);
    }

    /** The activation of {@code x}, a new array. */
    public abstract INDArray forward(INDArray x);

    /** Gradient with respect to {@code x} given the upstream gradient {@code dy}, a new array. */
    public abstract INDArray backward(INDArray x, INDArray dy);

    /** QUICK_GELU if {@code quickGelu}, else GELU. */
    public static Activation of(boolean quickGelu) {
        return quickGelu ? QUICK_GELU : GELU;
    }
}
