package org.clip4j.encoders;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Init;
import org.clip4j.core.nn.Linear;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Tape;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * OpenAI's ModifiedResNet image tower: its complete state-dict structure (names and shapes, so checkpoints load,
 * validate and save, and parameter counts are exact). Forward and backward are not implemented yet.
 *
 * <p>Layout: a 3-conv stem (width/2, width/2, width channels, each followed by BatchNorm), four stages of
 * Bottleneck blocks with planes width·{1,2,4,8} (expansion 4; the first block of a stage has a
 * {@code downsample} 1×1 conv + BatchNorm when the stride or channel count changes) and an attention pool over
 * width·32 channels with separate q/k/v projections and {@code c_proj} to the embedding dimension.
 */
public final class ModifiedResNet extends ImageEncoder {
    private final int imageSize;
    private final Linear cProj;

    public ModifiedResNet(ClipConfig.Vision cfg, int embedDim) {
        super("visual");
        this.imageSize = cfg.imageSize();
        int width = cfg.width();
        conv("conv1", width / 2, 3, 3);
        batchNorm("bn1", width / 2);
        conv("conv2", width / 2, width / 2, 3);
        batchNorm("bn2", width / 2);
        conv("conv3", width, width / 2, 3);
        batchNorm("bn3", width);
        int inplanes = width;
        for (int stage = 0; stage < 4; stage++) {
            int planes = width << stage;
            int stride = stage == 0 ? 1 : 2;
            for (int j = 0; j < cfg.layers().get(stage); j++) {
                String b = "layer" + (stage + 1) + "." + j + ".";
                conv(b + "conv1", planes, inplanes, 1);
                batchNorm(b + "bn1", planes);
                conv(b + "conv2", planes, planes, 3);
                batchNorm(b + "bn2", planes);
                conv(b + "conv3", planes * 4, planes, 1);
                batchNorm(b + "bn3", planes * 4);
                if (j == 0 && (stride > 1 || inplanes != planes * 4)) {
                    conv(b + "downsample.0", planes * 4, inplanes, 1); // downsample.-1 is the parameter-free AvgPool
                    batchNorm(b + "downsample.1", planes * 4);
                }
                inplanes = planes * 4;
            }
        }
        long embed = width * 32L;
        long spacial = cfg.imageSize() / 32;
        param("attnpool.positional_embedding", spacial * spacial + 1, embed);
        child(new Linear(qualify("attnpool.k_proj"), embed, embed, true));
        child(new Linear(qualify("attnpool.q_proj"), embed, embed, true));
        child(new Linear(qualify("attnpool.v_proj"), embed, embed, true));
        this.cProj = child(new Linear(qualify("attnpool.c_proj"), embed, embedDim, true));
    }

    private void conv(String name, int out, int in, int k) {
        param(name + ".weight", out, in, k, k);
    }

    private void batchNorm(String name, int channels) {
        param(name + ".weight", channels);
        param(name + ".bias", channels);
        buffer(name + ".running_mean", channels);
        buffer(name + ".running_var", channels);
        buffer(name + ".num_batches_tracked"); // scalar counter, I64 in checkpoints
    }

    @Override
    public int imageSize() {
        return imageSize;
    }

    /** Output dimension of the attention pool. */
    public long embedDim() {
        return cProj.outFeatures();
    }

    @Override
    public INDArray forward(INDArray images, Tape tape) {
        throw new UnsupportedOperationException("ModifiedResNet forward is not implemented yet");
    }

    @Override
    public void backward(INDArray dFeatures, Tape tape) {
        throw new UnsupportedOperationException("ModifiedResNet backward is not implemented yet");
    }

    @Override
    public void initialize(Init init) {
        throw new UnsupportedOperationException("ModifiedResNet initialisation is not implemented yet");
    }

    /** True for the BatchNorm step counter, which checkpoints may omit. */
    static boolean isCounter(Parameter p) {
        return p.name().endsWith(".num_batches_tracked");
    }
}
