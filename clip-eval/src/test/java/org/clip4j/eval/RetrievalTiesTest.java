package org.clip4j.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Retrieval ranks with tied scores: against torch.argsort(descending=True) and its stable variant as run by
 * {@code src/test/scripts/gen_retrieval_ties.py} (torch 1.13.1, CPU), and against closed forms.
 */
class RetrievalTiesTest {
    private static final int[] KS = {1, 5, 10};

    private record Case(String name, float[][] logits, int[][] i2t, int[][] t2i, JsonNode metrics, JsonNode stable) {
    }

    private static List<Case> cases() throws IOException {
        try (InputStream in = RetrievalTiesTest.class.getResourceAsStream("/retrieval/torch_argsort_ties.json")) {
            JsonNode root = new ObjectMapper().readTree(in);
            List<Case> out = new ArrayList<>();
            for (JsonNode c : root.get("cases")) {
                out.add(new Case(c.get("name").asText(), floats(c.get("logits")), ints(c.get("image_to_text_argsort")),
                        ints(c.get("text_to_image_argsort")), c.get("metrics"), c.get("metrics_stable")));
            }
            assertEquals(6, out.size());
            return out;
        }
    }

    private static float[][] floats(JsonNode rows) {
        float[][] f = new float[rows.size()][];
        for (int i = 0; i < f.length; i++) {
            JsonNode r = rows.get(i);
            f[i] = new float[r.size()];
            for (int j = 0; j < f[i].length; j++) f[i][j] = (float) r.get(j).asDouble(); // float32 values, exact
        }
        return f;
    }

    private static int[][] ints(JsonNode rows) {
        int[][] f = new int[rows.size()][];
        for (int i = 0; i < f.length; i++) {
            JsonNode r = rows.get(i);
            f[i] = new int[r.size()];
            for (int j = 0; j < f[i].length; j++) f[i][j] = r.get(j).asInt();
        }
        return f;
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        return p;
    }

    private static float[] column(float[][] m, int t) {
        float[] c = new float[m.length];
        for (int i = 0; i < m.length; i++) c[i] = m[i][t];
        return c;
    }

    @Test
    void argsortOrdersTiesAsTorch() throws IOException {
        for (Case c : cases()) {
            for (int i = 0; i < c.logits.length; i++) {
                assertArrayEquals(c.i2t[i], TorchArgsort.descending(c.logits[i]), c.name + " row " + i);
                assertArrayEquals(c.t2i[i], TorchArgsort.descending(column(c.logits, i)), c.name + " column " + i);
            }
        }
    }

    private static void assertMetrics(String what, JsonNode want, Map<String, Double> got) {
        for (String dir : List.of("image_to_text_", "text_to_image_")) {
            for (String m : List.of("mean_rank", "median_rank", "R@1", "R@5", "R@10")) {
                assertEquals(want.get(dir + m).asDouble(), got.get(dir + m), 1e-12, what + " " + dir + m);
            }
        }
    }

    @Test
    void metricsAreOpenClipsOnTheSameLogits() throws IOException {
        for (Case c : cases()) {
            int[] pairs = identity(c.logits.length);
            assertMetrics(c.name + " open_clip", c.metrics, RetrievalMetrics.fromScores(c.logits, pairs, Ties.OPEN_CLIP, KS));
            assertMetrics(c.name + " stable", c.stable, RetrievalMetrics.fromScores(c.logits, pairs, Ties.STABLE, KS));
        }
    }

    /** Pessimistic ranks by their definition: 1 + the number of other candidates scoring at least as high. */
    @Test
    void pessimisticRanksCountEveryTieAgainstTheQuery() throws IOException {
        for (Case c : cases()) {
            int n = c.logits.length;
            double sumI2t = 0, sumT2i = 0;
            int hitI2t = 0;
            for (int q = 0; q < n; q++) {
                int ri = 1, rt = 1;
                for (int o = 0; o < n; o++) {
                    if (o == q) continue;
                    if (c.logits[q][o] >= c.logits[q][q]) ri++;
                    if (c.logits[o][q] >= c.logits[q][q]) rt++;
                }
                sumI2t += ri;
                sumT2i += rt;
                if (ri <= 5) hitI2t++;
            }
            Map<String, Double> got = RetrievalMetrics.fromScores(c.logits, identity(n), Ties.PESSIMISTIC, KS);
            assertEquals(sumI2t / n, got.get("image_to_text_mean_rank"), 1e-12, c.name);
            assertEquals(sumT2i / n, got.get("text_to_image_mean_rank"), 1e-12, c.name);
            assertEquals((double) hitI2t / n, got.get("image_to_text_R@5"), 1e-12, c.name);
            assertTrue(got.get("image_to_text_mean_rank") >= c.metrics.get("image_to_text_mean_rank").asDouble(), c.name);
        }
    }

    /** An all-equal n × n matrix: every query ties with all n candidates. */
    @Test
    void allEqualScoresInClosedForm() {
        for (int n : new int[] {1, 2, 12, 16, 17, 37, 64}) {
            float[][] s = new float[n][n];
            for (float[] row : s) Arrays.fill(row, 0.25f);
            int[] pairs = identity(n);
            Map<String, Double> pes = RetrievalMetrics.fromScores(s, pairs, Ties.PESSIMISTIC, KS);
            assertEquals(n, pes.get("text_to_image_mean_rank"), 0.0, "n = " + n);
            assertEquals(n, pes.get("image_to_text_median_rank"), 0.0);
            assertEquals(n == 1 ? 1.0 : 0.0, pes.get("image_to_text_R@1"), 0.0);
            // stable: query i ranks i + 1 → mean (n + 1)/2, median ⌊(n + 1)/2⌋ as open_clip floors, R@k = min(k, n)/n
            Map<String, Double> st = RetrievalMetrics.fromScores(s, pairs, Ties.STABLE, KS);
            assertEquals((n + 1) / 2.0, st.get("image_to_text_mean_rank"), 1e-12);
            assertEquals(Math.floorDiv(n + 1, 2), st.get("text_to_image_median_rank"), 0.0);
            for (int k : KS) assertEquals(Math.min(k, n) / (double) n, st.get("text_to_image_R@" + k), 1e-12);
            // torch's std::sort permutes an all-equal row, but every position is taken once: the same mean; up
            // to 16 elements it is an insertion sort, which is stable.
            Map<String, Double> oc = RetrievalMetrics.fromScores(s, pairs, Ties.OPEN_CLIP, KS);
            assertEquals((n + 1) / 2.0, oc.get("image_to_text_mean_rank"), 1e-12);
            if (n <= 16) assertEquals(st, oc, "n = " + n);
        }
        // torch 1.13.1: argsort(zeros(17), descending=True) = [8, 16, 15, …, 9, 0, 7, 6, …, 1]
        assertArrayEquals(new int[] {8, 16, 15, 14, 13, 12, 11, 10, 9, 0, 7, 6, 5, 4, 3, 2, 1},
                TorchArgsort.descending(new float[17]));
    }

    /** Rows up to 16 elements are insertion-sorted (stable); NaN sorts first as in torch's comparator. */
    @Test
    void shortRowsAreStableAndNanComesFirst() {
        Random r = new Random(3);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(16);
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = r.nextInt(3) - 1 + (r.nextInt(10) == 0 ? Float.NaN : 0);
            Integer[] stable = new Integer[n];
            for (int i = 0; i < n; i++) stable[i] = i;
            Arrays.sort(stable, (a, b) -> TorchArgsort.before(v[a], v[b]) ? -1 : TorchArgsort.before(v[b], v[a]) ? 1 : 0);
            assertArrayEquals(Arrays.stream(stable).mapToInt(Integer::intValue).toArray(), TorchArgsort.descending(v),
                    Arrays.toString(v));
        }
        assertArrayEquals(new int[] {1, 3, 0, 2}, TorchArgsort.descending(new float[] {1, Float.NaN, -1, Float.NaN}));
        // the sort is a permutation on long rows of few values as well (heap-sort fallback included)
        for (int n : new int[] {100, 1000, 5000}) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = r.nextInt(4);
            int[] o = TorchArgsort.descending(v);
            boolean[] seen = new boolean[n];
            for (int p = 0; p < n; p++) {
                assertFalse(seen[o[p]]);
                seen[o[p]] = true;
                if (p > 0) assertFalse(TorchArgsort.before(v[o[p]], v[o[p - 1]]), "sorted at " + p);
            }
        }
    }

    /**
     * Identical image features (all-black images) and identical text features (repeated captions) tie exactly:
     * the float32 product alone does not promise it (BLAS kernels treat rows by their place in a tile), so
     * compute() gives them the scores of their first occurrence; the ranks are then those of fromScores() on
     * those scores.
     */
    @Test
    void identicalFeaturesTieExactly() {
        Nd4j.getRandom().setSeed(5);
        INDArray img = Nd4j.randn(DataType.FLOAT, 40, 24), txt = Nd4j.randn(DataType.FLOAT, 40, 24);
        INDArray black = Nd4j.randn(DataType.FLOAT, 1, 24);
        for (int i = 5; i < 30; i += 2) img.putRow(i, black);          // 13 identical images
        for (int t : new int[] {7, 21, 33}) txt.putRow(t, txt.getRow(2)); // repeated captions
        int[] pairs = identity(40);
        INDArray a = org.clip4j.core.model.ContrastiveLoss.normalize(img);
        INDArray b = org.clip4j.core.model.ContrastiveLoss.normalize(txt);
        float[][] s = a.mmul(b.transpose()).toFloatMatrix();
        RetrievalMetrics.tieIdenticalFeatures(s, img.toFloatMatrix(), txt.toFloatMatrix());
        for (int i = 7; i < 30; i += 2) assertArrayEquals(s[5], s[i], 0f, "row " + i + " ties row 5 bit for bit");
        for (int i = 0; i < 40; i++) for (int t : new int[] {7, 21, 33}) assertEquals(s[i][2], s[i][t], 0f);
        for (int i = 0; i < 40; i++) {
            if (i >= 5 && i < 30 && i % 2 == 1) continue;
            assertNotEquals(s[5][0], s[i][0], "row " + i + " is not a copy");
        }
        for (Ties t : Ties.values()) {
            assertEquals(RetrievalMetrics.fromScores(s, pairs, t, KS), RetrievalMetrics.compute(img, txt, pairs, t, KS), t.toString());
        }
        assertEquals(RetrievalMetrics.compute(img, txt, pairs, Ties.OPEN_CLIP, KS), RetrievalMetrics.compute(img, txt, pairs, KS),
                "open_clip is the default");
        double pes = RetrievalMetrics.compute(img, txt, pairs, Ties.PESSIMISTIC, KS).get("text_to_image_mean_rank");
        double oc = RetrievalMetrics.compute(img, txt, pairs, KS).get("text_to_image_mean_rank");
        assertTrue(pes > oc + 1, "13 tied images cost the pessimistic count: " + pes + " vs " + oc);
    }

    /** Several captions per image: the image query's rank is its first caption in the tie order. */
    @Test
    void severalCaptionsPerImageWithTies() {
        // 2 images, 5 texts: image 0 owns texts 1 and 3, image 1 owns 0, 2, 4. Row 0 ties everything at 0.5.
        float[][] s = {{0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, {0.9f, 0.1f, 0.9f, 0.9f, 0.2f}};
        int[] owner = {1, 0, 1, 0, 1};
        // image 0: stable order 0, 1, … → its text 1 at rank 2; pessimistic: image 1's texts 0, 2, 4 tie → rank 4.
        // image 1: its texts 0 and 2 tie image 0's text 3 at 0.9: stable → text 0 first, rank 1; pessimistic → 2.
        assertEquals((2 + 1) / 2.0, RetrievalMetrics.fromScores(s, owner, Ties.STABLE, 1).get("image_to_text_mean_rank"), 1e-12);
        assertEquals((4 + 2) / 2.0, RetrievalMetrics.fromScores(s, owner, Ties.PESSIMISTIC, 1).get("image_to_text_mean_rank"), 1e-12);
        // open_clip: a 5-element row is insertion-sorted (stable), so the same as stable
        assertEquals(RetrievalMetrics.fromScores(s, owner, Ties.STABLE, 1, 5), RetrievalMetrics.fromScores(s, owner, Ties.OPEN_CLIP, 1, 5));
        // text → image: no ties down the columns; texts 3 and 4 rank 2, the others 1, in every mode
        for (Ties t : Ties.values()) assertEquals(0.6, RetrievalMetrics.fromScores(s, owner, t, 1).get("text_to_image_R@1"), 1e-12, t.toString());
    }

    @Test
    void parsesTieNames() {
        assertEquals(Ties.OPEN_CLIP, Ties.parse("open_clip"));
        assertEquals(Ties.OPEN_CLIP, Ties.parse("Open-Clip"));
        assertEquals(Ties.PESSIMISTIC, Ties.parse("pessimistic"));
        assertEquals(Ties.STABLE, Ties.parse("stable"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ties.parse("random"));
        assertEquals("ties 'random': expected open_clip, stable or pessimistic", e.getMessage());
    }
}
