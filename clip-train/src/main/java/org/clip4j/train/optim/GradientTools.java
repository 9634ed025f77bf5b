package org.clip4j.train.optim;

import org.clip4j.core.nn.Parameter;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

/** Gradient checks and clipping over a whole model, and CLIP's temperature clamp. */
public final class GradientTools {
    /** ln(100): OpenCLIP clamps {@code logit_scale} to [0, ln 100] so that the temperature never exceeds 100. */
    public static final double MAX_LOGIT_SCALE = Math.log(100);

    private GradientTools() {
    }

    /** √(Σ‖g‖²) over the gradients present (torch's {@code clip_grad_norm_} with norm type 2). */
    public static double globalNorm(List<Parameter> params) {
        double sq = 0;
        for (Parameter p : params) {
            if (p.isTrainable() && p.hasGrad()) {
                double n = p.grad().norm2Number().doubleValue();
                sq += n * n;
            }
        }
        return Math.sqrt(sq);
    }

    /**
     * Scales every gradient by {@code maxNorm / (norm + 1e-6)} when that is below 1, as torch's
     * {@code clip_grad_norm_}; returns the norm before clipping.
     */
    public static double clipGlobalNorm(List<Parameter> params, double maxNorm) {
        double norm = globalNorm(params);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1) {
            for (Parameter p : params) if (p.isTrainable() && p.hasGrad()) p.grad().muli(coef);
        }
        return norm;
    }

    /** True if any gradient holds a NaN or an infinity. */
    public static boolean hasNonFinite(List<Parameter> params) {
        for (Parameter p : params) {
            if (p.isTrainable() && p.hasGrad()) {
                INDArray g = p.grad();
                if (g.dataType() == DataType.FLOAT && !g.isView()) {
                    java.nio.FloatBuffer b = g.data().asNioFloat(); // a view of the native buffer: no copy
                    for (int i = 0, n = (int) g.length(); i < n; i++) if (!Float.isFinite(b.get(i))) return true;
                } else if (!Double.isFinite(g.sumNumber().doubleValue())) { // NaN/Inf make the sum non-finite
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The name of the first parameter whose weights hold a NaN or an infinity, or null when all are finite
     * (integer tensors, such as BatchNorm's batch counters, are skipped). The guard before a checkpoint is written.
     */
    public static String firstNonFiniteWeight(List<Parameter> params) {
        for (Parameter p : params) {
            INDArray v = p.value();
            if (v == null || !v.dataType().isFPType()) continue;
            if (v.dataType() == DataType.FLOAT && !v.isView()) {
                java.nio.FloatBuffer b = v.data().asNioFloat();
                for (int i = 0, n = (int) v.length(); i < n; i++) if (!Float.isFinite(b.get(i))) return p.name();
            } else if (!Double.isFinite(v.sumNumber().doubleValue())) {
                return p.name();
            }
        }
        return null;
    }

    /** Clamps {@code logit_scale} in place to [0, ln 100]; returns the clamped value. */
    public static double clampLogitScale(Parameter logitScale) {
        double v = logitScale.value().getDouble(0);
        double c = Math.max(0, Math.min(MAX_LOGIT_SCALE, v));
        if (c != v) logitScale.value().assign(c);
        return c;
    }
}
