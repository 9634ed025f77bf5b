package org.clip4j.eval;

import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.nn.Scope;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Image↔text retrieval metrics for datasets with one or several captions per image: recall@K, mean and median
 * rank. A text→image query is right when its image ranks within K; an image→text query when any of its captions
 * does (the rank of an image query is that of its best-ranked caption, as in the CLIP paper's Flickr/COCO
 * evaluation). Ranks are 1-based. Scores are the cosine similarities in float32 ([images, texts]).
 *
 * <p>Candidates with exactly the same score as the right answer are ordered by {@link Ties}: by default as
 * OpenCLIP's {@code get_clip_metrics} does ({@code torch.argsort(logits, descending=True)}, the position of the
 * true index), or in index order, or all counted above the right answer. With one caption per image and the
 * texts in image order the numbers are OpenCLIP's: mean rank = mean position + 1, median rank = ⌊median
 * position⌋ + 1 (so the lower middle of an even count, rounded down), R@K = share of positions below K. The
 * median is computed that way in every mode.
 */
public final class RetrievalMetrics {
    private RetrievalMetrics() {
    }

    /** {@link #compute(INDArray, INDArray, int[], Ties, int...)} with OpenCLIP's tie order. */
    public static Map<String, Double> compute(INDArray imageFeatures, INDArray textFeatures, int[] textToImage, int... ks) {
        return compute(imageFeatures, textFeatures, textToImage, Ties.OPEN_CLIP, ks);
    }

    /**
     * @param imageFeatures [n, E] (normalised here)
     * @param textFeatures  [m, E]
     * @param textToImage   for each text, the index of its image (length m, values in [0, n))
     * @param ties          how candidates with the right answer's exact score are ranked
     * @param ks            the K of recall@K, e.g. 1, 5, 10
     * @return image_to_text_R@K, text_to_image_R@K, image_to_text_mean_rank, ..._median_rank, and the same for
     *         text_to_image
     */
    public static Map<String, Double> compute(INDArray imageFeatures, INDArray textFeatures, int[] textToImage,
                                              Ties ties, int... ks) {
        int n = (int) imageFeatures.size(0), m = (int) textFeatures.size(0);
        check(n, m, textToImage);
        float[][] s;
        try (Scope sc = Scope.open()) {
            INDArray a = ContrastiveLoss.normalize(imageFeatures), b = ContrastiveLoss.normalize(textFeatures); // owned by sc
            INDArray sim = sc.track(Nd4j.gemm(a, b, false, true)); // [n, m]
            s = HeapArrays.floatRows(sim);
        }
        tieIdenticalFeatures(s, HeapArrays.floatRows(imageFeatures), HeapArrays.floatRows(textFeatures));
        return fromScores(s, textToImage, ties, ks);
    }

    /**
     * Makes the scores of identical feature vectors identical. A float32 matrix product does not promise that
     * (BLAS kernels treat rows differently by their position in a tile: rows of one all-black image's features
     * came out 1 ulp apart), which would let rounding noise, not the tie order, rank them. Each image row and
     * text column equal bit for bit to an earlier one gets that one's scores.
     */
    static void tieIdenticalFeatures(float[][] s, float[][] img, float[][] txt) {
        int[] firstImg = firstOccurrence(img), firstTxt = firstOccurrence(txt);
        for (int i = 0; i < s.length; i++) if (firstImg[i] != i) s[i] = s[firstImg[i]].clone();
        for (int t = 0; t < firstTxt.length; t++) {
            if (firstTxt[t] == t) continue;
            for (float[] row : s) row[t] = row[firstTxt[t]];
        }
    }

    /** For each row, the index of the first row with the same float bits. */
    private static int[] firstOccurrence(float[][] rows) {
        Map<FloatRow, Integer> first = new HashMap<>();
        int[] out = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int row = i;
            out[i] = first.computeIfAbsent(new FloatRow(rows[i]), k -> row);
        }
        return out;
    }

    /** A feature vector as a hash key, equal to another when all its floats are (Arrays.equals: by bits). */
    private record FloatRow(float[] v) {
        @Override
        public boolean equals(Object o) {
            return o instanceof FloatRow r && Arrays.equals(v, r.v);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(v);
        }
    }

    /**
     * The metrics from a score matrix (higher is better), e.g. OpenCLIP's {@code logits_per_image}.
     *
     * @param scores      [n images][m texts]
     * @param textToImage for each text, the index of its image
     */
    public static Map<String, Double> fromScores(float[][] scores, int[] textToImage, Ties ties, int... ks) {
        int n = scores.length, m = n == 0 ? textToImage.length : scores[0].length;
        check(n, m, textToImage);
        if (ties == null) throw new IllegalArgumentException("ties: expected open_clip, stable or pessimistic, got null");
        for (int i = 0; i < n; i++) {
            if (scores[i].length != m) {
                throw new IllegalArgumentException("scores row " + i + " has " + scores[i].length + " texts, row 0 has " + m);
            }
        }
        int[] t2i = new int[m];                        // rank of the right image for each text
        float[] column = new float[n];
        for (int t = 0; t < m; t++) {
            for (int i = 0; i < n; i++) column[i] = scores[i][t];
            int own = textToImage[t];
            t2i[t] = firstRank(column, i -> i == own, ties);
        }
        int[] i2t = new int[n];                        // best rank among each image's captions
        boolean[] hasCaption = new boolean[n];
        for (int owner : textToImage) hasCaption[owner] = true;
        for (int i = 0; i < n; i++) {
            int img = i;
            i2t[i] = hasCaption[i] ? firstRank(scores[i], u -> textToImage[u] == img, ties) : Integer.MAX_VALUE;
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (int k : ks) {
            out.put("image_to_text_R@" + k, fraction(i2t, k));
            out.put("text_to_image_R@" + k, fraction(t2i, k));
        }
        out.put("image_to_text_mean_rank", mean(i2t));
        out.put("image_to_text_median_rank", median(i2t));
        out.put("text_to_image_mean_rank", mean(t2i));
        out.put("text_to_image_median_rank", median(t2i));
        return out;
    }

    private static void check(int n, int m, int[] textToImage) {
        if (textToImage.length != m) {
            throw new IllegalArgumentException("textToImage has " + textToImage.length + " entries for " + m + " texts");
        }
        for (int t = 0; t < m; t++) {
            if (textToImage[t] < 0 || textToImage[t] >= n) {
                throw new IllegalArgumentException("text " + t + " points to image " + textToImage[t] + ", expected 0.." + (n - 1));
            }
        }
    }

    /**
     * The 1-based rank of the best-placed right candidate ({@code right.test(j)}) in {@code row} sorted by
     * descending score. All right candidates are tried; the others compete.
     */
    private static int firstRank(float[] row, IntPredicate right, Ties ties) {
        int n = row.length;
        if (ties == Ties.OPEN_CLIP) {
            int[] order = TorchArgsort.descending(row);
            for (int p = 0; p < n; p++) if (right.test(order[p])) return p + 1;
            throw new IllegalStateException("no right candidate"); // callers pass rows with one
        }
        int best = Integer.MAX_VALUE;
        for (int j = 0; j < n; j++) {
            if (!right.test(j)) continue;
            float v = row[j];
            int rank = 1;
            for (int u = 0; u < n; u++) {
                if (right.test(u)) continue;
                boolean above = TorchArgsort.before(row[u], v);
                boolean tied = !above && !TorchArgsort.before(v, row[u]);
                if (above || (tied && (ties == Ties.PESSIMISTIC || u < j))) rank++;
            }
            best = Math.min(best, rank);
        }
        return best;
    }

    private static double fraction(int[] ranks, int k) {
        int hit = 0;
        int counted = 0;
        for (int r : ranks) {
            if (r == Integer.MAX_VALUE) continue; // an image without captions is not a query
            counted++;
            if (r <= k) hit++;
        }
        return counted == 0 ? 0 : (double) hit / counted;
    }

    private static double mean(int[] ranks) {
        return Arrays.stream(ranks).filter(r -> r != Integer.MAX_VALUE).average().orElse(0);
    }

    /** OpenCLIP's median rank: ⌊median of the 0-based positions⌋ + 1, i.e. ⌊mean of the two middle ranks⌋. */
    private static double median(int[] ranks) {
        int[] r = Arrays.stream(ranks).filter(x -> x != Integer.MAX_VALUE).sorted().toArray();
        if (r.length == 0) return 0;
        return r.length % 2 == 1 ? r[r.length / 2] : Math.floorDiv(r[r.length / 2 - 1] + r[r.length / 2], 2);
    }
}
