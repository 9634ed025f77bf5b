package org.clip4j.train;

import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.nn.Parameter;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BlockwiseContrastiveLossTest {
    @Test
    void equalsTheDenseLossAndGradientsForAnyBlockSize() {
        Nd4j.getRandom().setSeed(12);
        INDArray img = Nd4j.randn(DataType.DOUBLE, 37, 8), txt = Nd4j.randn(DataType.DOUBLE, 37, 8);
        txt.addi(img.mul(0.5)); // some alignment, so the loss is not at chance
        Parameter ref = Parameter.trainable("logit_scale");
        ref.set(Nd4j.scalar(DataType.DOUBLE, 3.1));
        try (ContrastiveLoss.Result want = ContrastiveLoss.forwardBackward(img, txt, ref)) {
            for (int block : new int[]{1, 5, 16, 37, 100}) {
                Parameter ls = Parameter.trainable("logit_scale");
                ls.set(Nd4j.scalar(DataType.DOUBLE, 3.1));
                try (ContrastiveLoss.Result got = BlockwiseContrastiveLoss.forwardBackward(img, txt, ls, block)) {
                    assertEquals(want.loss(), got.loss(), 1e-12 * Math.abs(want.loss()), "loss, block " + block);
                    assertTrue(got.imageGrad().equalsWithEps(want.imageGrad(), 1e-12), "image grad, block " + block);
                    assertTrue(got.textGrad().equalsWithEps(want.textGrad(), 1e-12), "text grad, block " + block);
                    assertEquals(ref.grad().getDouble(0), ls.grad().getDouble(0), 1e-12, "logit_scale grad, block " + block);
                }
            }
        }
    }
}
