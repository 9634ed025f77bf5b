package org.clip4j.encoders;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Parameter;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Activation recompute gives the gradients of the ordinary backward (float32, ≤ 1e-6 relative, normwise). */
class ActivationRecomputeTest {
    private static final ClipConfig CFG = ClipConfig.fromJson("{\"embed_dim\":24,\"quick_gelu\":false,"
            + "\"vision_cfg\":{\"image_size\":32,\"layers\":3,\"width\":48,\"patch_size\":8,\"head_width\":16},"
            + "\"text_cfg\":{\"context_length\":12,\"vocab_size\":49408,\"width\":32,\"heads\":2,\"layers\":2}}");

    private static List<INDArray> gradients(ClipModel m, INDArray x, INDArray ids, double[] loss) {
        m.zeroGrad();
        loss[0] = m.forwardBackward(x, ids);
        List<INDArray> out = new ArrayList<>();
        for (Parameter p : m.parameters()) out.add(p.grad().dup());
        return out;
    }

    @Test
    void recomputedGradientsEqualTheOrdinaryOnes() {
        try (ClipModel m = ClipModel.create(CFG, 21)) {
            INDArray x = Nd4j.randn(DataType.FLOAT, 5, 3, 32, 32);
            INDArray ids = Nd4j.createFromArray(new long[][]{
                    {49406, 320, 1125, 539, 49407, 0, 0, 0, 0, 0, 0, 0},
                    {49406, 1929, 49407, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                    {49406, 320, 2368, 530, 320, 1449, 49407, 0, 0, 0, 0, 0},
                    {49406, 3086, 320, 49407, 0, 0, 0, 0, 0, 0, 0, 0},
                    {49406, 533, 533, 533, 533, 533, 533, 533, 533, 533, 533, 49407}});
            double[] a = new double[1], b = new double[1];
            List<INDArray> plain = gradients(m, x, ids, a);
            m.setActivationRecompute(true);
            List<INDArray> again = gradients(m, x, ids, b);
            m.setActivationRecompute(false);
            assertEquals(a[0], b[0], 1e-6 * Math.abs(a[0]), "loss");
            List<Parameter> params = m.parameters();
            int transformerParams = 0;
            for (int i = 0; i < params.size(); i++) {
                double norm = plain.get(i).norm2Number().doubleValue();
                double diff = plain.get(i).sub(again.get(i)).norm2Number().doubleValue();
                assertTrue(norm > 0, params.get(i).name() + " has a zero gradient: the test would prove nothing");
                assertTrue(diff <= 1e-6 * norm, params.get(i).name() + ": relative difference " + diff / norm);
                if (params.get(i).name().contains("resblocks")) transformerParams++;
            }
            assertEquals(3 * 12 + 2 * 12, transformerParams);
            // the ordinary path is unchanged after switching back
            List<INDArray> third = gradients(m, x, ids, new double[1]);
            for (int i = 0; i < params.size(); i++) assertEquals(plain.get(i), third.get(i), params.get(i).name());
            x.close();
            ids.close();
        }
    }
}
