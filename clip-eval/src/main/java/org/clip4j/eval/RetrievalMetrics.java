package org.clip4j.eval;

import org.clip4j.core.model.ContrastiveLoss;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Image↔text retrieval metrics for datasets with one or several captions per image: recall@K, mean and median
 * rank. A text→image query is right when its image ranks within K; an image→text query when any of its captions
 * does (the rank of an image query is that of its best-ranked caption, as in the CLIP paper's Flickr/COCO
 * evaluation). Ranks are 1-based; ties count against the query.
 */
public final class RetrievalMetrics {
    private RetrievalMetrics() {
    }

    /**
     * @param imageFeatures [n, E] (normalised here)
     * @param textFeatures  [m, E]
     * @param textToImage   for each text, the index of its image (length m, values in [0, n))
     * @param ks            the K of recall@K, e.g. 1, 5, 10
     * @return image_to_text_R@K, text_to_image_R@K, image_to_text_mean_rank, ..._median_rank, and the same for
     *         text_to_image
     */
    public static Map<String, Double> compute(INDArray imageFeatures, INDArray textFeatures, int[] textToImage, int... ks) {
        int n = (int) imageFeatures.size(0), m = (int) textFeatures.size(0);
        if (textToImage.length != m) {
            throw new IllegalArgumentException("textToImage has " + textToImage.length + " entries for " + m + " texts");
        }
        for (int t = 0; t < m; t++) {
            if (textToImage[t] < 0 || textToImage[t] >= n) {
                throw new IllegalArgumentException("text " + t + " points to image " + textToImage[t] + ", expected 0.." + (n - 1));
            }
        }
        INDArray a = ContrastiveLoss.normalize(imageFeatures), b = ContrastiveLoss.normalize(textFeatures);
        INDArray sim = a.mmul(b.transpose());          // [n, m]
        double[][] s = sim.toDoubleMatrix();
        a.close();
        b.close();
        sim.close();

        int[] t2i = new int[m];                        // rank of the right image for each text
        for (int t = 0; t < m; t++) {
            double right = s[textToImage[t]][t];
            int rank = 1;
            for (int i = 0; i < n; i++) if (i != textToImage[t] && s[i][t] >= right) rank++;
            t2i[t] = rank;
        }
        int[] i2t = new int[n];                        // best rank among each image's captions
        Arrays.fill(i2t, Integer.MAX_VALUE);
        for (int i = 0; i < n; i++) {
            for (int t = 0; t < m; t++) {
                if (textToImage[t] != i) continue;
                double right = s[i][t];
                int rank = 1;
                for (int u = 0; u < m; u++) if (textToImage[u] != i && s[i][u] >= right) rank++;
                i2t[i] = Math.min(i2t[i], rank);
            }
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

    private static double median(int[] ranks) {
        int[] r = Arrays.stream(ranks).filter(x -> x != Integer.MAX_VALUE).sorted().toArray();
        if (r.length == 0) return 0;
        return r.length % 2 == 1 ? r[r.length / 2] : (r[r.length / 2 - 1] + r[r.length / 2]) / 2.0;
    }
}
