package org.clip4j.core.nn;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Finite-difference gradient checks (double precision) of every layer on tiny random shapes. */
class LayersGradientTest {

    @Test
    void linearWithAndWithoutBias() {
        for (boolean bias : new boolean[] {true, false}) {
            Linear lin = new Linear("fc", 5, 3, bias);
            GradCheck.randomize(lin, 1, 0.5);
            INDArray x = GradCheck.randn(2, 2, 4, 5); // [B, T, in]
            GradCheck.check(lin, layer(lin::forward, lin::backward), x, true);
        }
    }

    @Test
    void layerNorm() {
        LayerNorm ln = new LayerNorm("ln", 6);
        GradCheck.randomize(ln, 3, 0.7);
        INDArray x = GradCheck.randn(4, 2, 3, 6).muli(3).addi(1.5); // non-zero mean, non-unit variance
        GradCheck.check(ln, layer(ln::forward, ln::backward), x, true);
    }

    @Test
    void layerNormMatchesDefinition() {
        LayerNorm ln = new LayerNorm("ln", 4);
        new Init(0, DataType.DOUBLE).constant(ln.weight(), 1);
        new Init(0, DataType.DOUBLE).constant(ln.bias(), 0);
        INDArray x = Nd4j.createFromArray(new double[][] {{1, 2, 3, 4}});
        INDArray y = ln.forward(x, null);
        double sd = Math.sqrt(1.25 + LayerNorm.EPS); // biased variance of 1..4 is 1.25
        assertEquals(-1.5 / sd, y.getDouble(0, 0), 1e-12);
        assertEquals(0.5 / sd, y.getDouble(0, 2), 1e-12);
    }

    @Test
    void attentionWithoutMask() {
        MultiheadAttention attn = new MultiheadAttention("attn", 8, 2, false);
        GradCheck.randomize(attn, 5, 0.4);
        INDArray x = GradCheck.randn(6, 2, 5, 8);
        GradCheck.check(attn, layer(attn::forward, attn::backward), x, true, 12);
    }

    @Test
    void attentionWithCausalMask() {
        MultiheadAttention attn = new MultiheadAttention("attn", 8, 2, true);
        GradCheck.randomize(attn, 7, 0.4);
        INDArray x = GradCheck.randn(8, 2, 5, 8);
        GradCheck.check(attn, layer(attn::forward, attn::backward), x, true, 12);
    }

    @Test
    void causalMaskHidesTheFuture() {
        MultiheadAttention attn = new MultiheadAttention("attn", 4, 1, true);
        GradCheck.randomize(attn, 9, 0.5);
        INDArray x = GradCheck.randn(10, 1, 4, 4);
        INDArray y = attn.forward(x, null);
        INDArray x2 = x.dup();
        x2.putScalar(new long[] {0, 3, 0}, 100.0); // change only the last token
        INDArray y2 = attn.forward(x2, null);
        for (int t = 0; t < 3; t++) {
            for (int c = 0; c < 4; c++) assertEquals(y.getDouble(0, t, c), y2.getDouble(0, t, c), 1e-12);
        }
    }

    @Test
    void mlpWithQuickGelu() {
        Mlp mlp = new Mlp("mlp", 4, 12, Activation.QUICK_GELU);
        GradCheck.randomize(mlp, 11, 0.6);
        INDArray x = GradCheck.randn(12, 2, 3, 4);
        GradCheck.check(mlp, layer(mlp::forward, mlp::backward), x, true);
    }

    @Test
    void mlpWithErfGelu() {
        Mlp mlp = new Mlp("mlp", 4, 12, Activation.GELU);
        GradCheck.randomize(mlp, 13, 0.6);
        INDArray x = GradCheck.randn(14, 2, 3, 4);
        GradCheck.check(mlp, layer(mlp::forward, mlp::backward), x, true);
    }

    @Test
    void activationValues() {
        INDArray x = Nd4j.createFromArray(-1.0, 0.0, 1.0, 2.0);
        INDArray q = Activation.QUICK_GELU.forward(x);
        INDArray g = Activation.GELU.forward(x);
        for (int i = 0; i < 4; i++) {
            double v = x.getDouble(i);
            assertEquals(v / (1 + Math.exp(-1.702 * v)), q.getDouble(i), 1e-12);
        }
        assertEquals(0.8413447460685429, g.getDouble(2), 1e-9); // Φ(1)
        assertEquals(-0.15865525393145707, g.getDouble(0), 1e-9);
        assertEquals(1.9544997361036416, g.getDouble(3), 1e-9);
    }

    @Test
    void residualBlockAndTransformer() {
        Transformer tr = new Transformer("transformer", 8, 2, 2, 4.0, Activation.QUICK_GELU, true);
        GradCheck.randomize(tr, 15, 0.3);
        INDArray x = GradCheck.randn(16, 2, 4, 8);
        GradCheck.check(tr, layer(tr::forward, tr::backward), x, true, 6);
        assertEquals("transformer.resblocks.1.ln_2.bias", tr.stateDict().get(tr.stateDict().size() - 1).name());
    }

    @Test
    void embeddingWithRepeatedIds() {
        Embedding emb = new Embedding("token_embedding", 7, 3);
        GradCheck.randomize(emb, 17, 1.0);
        INDArray ids = Nd4j.createFromArray(new long[][] {{1, 4, 4, 0}, {4, 0, 0, 6}}); // 4 and 0 repeat
        INDArray r = GradCheck.randn(18, 2, 4, 3);
        emb.zeroGrad();
        try (Tape tape = new Tape()) {
            emb.forward(ids, tape);
            emb.backward(r, tape);
        }
        GradCheck.compare("token_embedding.weight", emb.weight().grad(), emb.weight().value(), () -> {
            INDArray y = emb.forward(ids, null);
            return y.mul(r).sumNumber().doubleValue();
        });
        // Row 4 collects three positions, row 2 none.
        INDArray expected4 = r.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                org.nd4j.linalg.indexing.NDArrayIndex.point(1)).add(r.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(2)))
                .add(r.get(org.nd4j.linalg.indexing.NDArrayIndex.point(1), org.nd4j.linalg.indexing.NDArrayIndex.point(0)));
        assertEquals(0.0, emb.weight().grad().getRow(4).sub(expected4).amaxNumber().doubleValue(), 1e-12);
        assertEquals(0.0, emb.weight().grad().getRow(2).amaxNumber().doubleValue());
    }

    @Test
    void embeddingRejectsOutOfRangeIds() {
        Embedding emb = new Embedding("token_embedding", 7, 3);
        GradCheck.randomize(emb, 17, 1.0);
        INDArray ids = Nd4j.createFromArray(new long[][] {{1, 7}});
        assertThrows(org.clip4j.core.ClipException.class, () -> emb.forward(ids, null));
    }

    @Test
    void gradientsAccumulateAcrossCalls() {
        Linear lin = new Linear("fc", 3, 2, true);
        GradCheck.randomize(lin, 19, 1.0);
        INDArray x = GradCheck.randn(20, 4, 3);
        INDArray dy = GradCheck.randn(21, 4, 2);
        lin.zeroGrad();
        for (int i = 0; i < 2; i++) {
            try (Tape tape = new Tape()) {
                lin.forward(x, tape);
                lin.backward(dy, tape);
            }
        }
        INDArray once = dy.transpose().mmul(x);
        assertEquals(0.0, lin.weight().grad().sub(once.mul(2)).amaxNumber().doubleValue(), 1e-12);
    }

    private static GradCheck.Layer layer(java.util.function.BiFunction<INDArray, Tape, INDArray> f,
                                         java.util.function.BiFunction<INDArray, Tape, INDArray> b) {
        return new GradCheck.Layer() {
            @Override
            public INDArray forward(INDArray x, Tape tape) {
                return f.apply(x, tape);
            }

            @Override
            public INDArray backward(INDArray dy, Tape tape) {
                return b.apply(dy, tape);
            }
        };
    }
}
