package org.clip4j.eval;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.tokenizer.ClipTokenizer;
import org.clip4j.encoders.ClipModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ZeroShotClassifierTest {
    @TempDir
    Path tmp;

    @Test
    void weightsEqualAnIndependentComputation() {
        ClipConfig cfg = ClipConfig.fromJson("{\"embed_dim\":16,\"quick_gelu\":true,"
                + "\"vision_cfg\":{\"image_size\":32,\"layers\":1,\"width\":32,\"patch_size\":8,\"head_width\":16},"
                + "\"text_cfg\":{\"context_length\":16,\"vocab_size\":49408,\"width\":32,\"heads\":2,\"layers\":1}}");
        PromptSet set = new PromptSet("t", List.of("cat", "dog", "red car"),
                List.of("a photo of a {}.", "a drawing of the {}.", "itap of a {}."));
        ClipTokenizer tok = ClipTokenizer.openai();
        try (ClipModel m = ClipModel.create(cfg, 3);
             ZeroShotClassifier z = ZeroShotClassifier.build(m, tok, set, 4)) { // batches cross class boundaries
            assertArrayEquals(new long[]{16, 3}, z.weights().shape());
            for (int c = 0; c < 3; c++) {
                double[] sum = new double[16];
                for (String t : set.templates()) {
                    INDArray ids = tok.tokenizeToArray(List.of(PromptSet.prompt(t, set.classes().get(c))), 16, true);
                    double[] f = m.encodeText(ids).castTo(DataType.DOUBLE).data().asDouble();
                    double norm = 0;
                    for (double v : f) norm += v * v;
                    norm = Math.sqrt(norm);
                    for (int i = 0; i < 16; i++) sum[i] += f[i] / norm;
                }
                double norm = 0;
                for (double v : sum) norm += v * v;
                norm = Math.sqrt(norm);
                for (int i = 0; i < 16; i++) {
                    assertEquals(sum[i] / norm, z.weights().getDouble(i, c), 1e-5, "class " + c + " dim " + i);
                }
            }
            // logits = 100 · cos
            INDArray img = Nd4j.randn(DataType.FLOAT, 2, 16);
            INDArray l = z.logits(img);
            INDArray n = img.divColumnVector(img.norm2(true, 1));
            assertEquals(100 * n.getRow(1).mul(z.weights().getColumn(2)).sumNumber().doubleValue(), l.getDouble(1, 2), 1e-4);
            // cache round trip
            z.save(tmp.resolve("zs.safetensors"));
            try (ZeroShotClassifier y = ZeroShotClassifier.load(tmp.resolve("zs.safetensors"))) {
                assertEquals(set.classes(), y.classes());
                assertEquals(z.weights(), y.weights());
            }
        }
    }

    /** Two templates where the first alone prefers class A but the ensemble prefers class B. */
    @Test
    void ensemblingCanChangeThePrediction() {
        Map<String, float[]> emb = new HashMap<>();
        emb.put("t1 A", new float[]{0.9f, 0.436f});
        emb.put("t2 A", new float[]{0f, 1f});
        emb.put("t1 B", new float[]{0.8f, 0.6f});
        emb.put("t2 B", new float[]{0.8f, -0.6f});
        java.util.function.Function<List<String>, INDArray> enc = texts -> {
            float[][] rows = new float[texts.size()][];
            for (int i = 0; i < rows.length; i++) rows[i] = emb.get(texts.get(i));
            return Nd4j.createFromArray(rows);
        };
        INDArray image = Nd4j.createFromArray(new float[][]{{1f, 0f}});
        try (ZeroShotClassifier one = ZeroShotClassifier.build(new PromptSet("x", List.of("A", "B"), List.of("t1 {}")), 8, enc);
             ZeroShotClassifier both = ZeroShotClassifier.build(new PromptSet("x", List.of("A", "B"), List.of("t1 {}", "t2 {}")), 8, enc)) {
            assertEquals(0, one.logits(image).argMax(1).getInt(0), "single template: A");
            assertEquals(1, both.logits(image).argMax(1).getInt(0), "ensemble: B");
            assertEquals(100.0, both.logits(image).getDouble(0, 1), 1e-4); // B's mean is exactly (1, 0)
        }
    }

    @Test
    void builtinPromptSets() {
        PromptSet in = PromptSet.builtin("imagenet1k");
        assertEquals(1000, in.classes().size());
        assertEquals(80, in.templates().size());
        assertEquals("tench", in.classes().get(0));
        assertEquals("toilet paper", in.classes().get(999));
        assertEquals(7, PromptSet.builtinTemplates("imagenet1k-7").size());
        assertTrue(in.templates().containsAll(PromptSet.builtinTemplates("imagenet1k-7")));
        assertEquals(10, PromptSet.builtin("cifar10").classes().size());
        assertEquals(100, PromptSet.builtin("cifar100").classes().size());
        assertEquals(10, PromptSet.builtin("fashion-mnist").classes().size());
        assertThrows(org.clip4j.core.ClipException.class, () -> new PromptSet("bad", List.of("a"), List.of("no placeholder")));
    }
}
