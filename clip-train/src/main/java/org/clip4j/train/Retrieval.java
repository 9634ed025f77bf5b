package org.clip4j.train;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.LinkedHashMap;
import java.util.Map;

/** Recall@K for paired features (row i of images matches row i of texts). */
public final class Retrieval {
    private Retrieval() {
    }

    /**
     * {@code similarity [n, n]} (image rows, text columns) → image_to_text_R@k and text_to_image_R@k for each k:
     * the fraction of queries whose match ranks among the top k (ties counted against the query).
     */
    public static Map<String, Double> recall(INDArray similarity, int... ks) {
        int n = (int) similarity.size(0);
        double[][] s = similarity.toDoubleMatrix();
        int[] rankI2T = new int[n], rankT2I = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (j != i && s[i][j] >= s[i][i]) rankI2T[i]++;
                if (j != i && s[j][i] >= s[i][i]) rankT2I[i]++;
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        for (int k : ks) {
            int a = 0, b = 0;
            for (int i = 0; i < n; i++) {
                if (rankI2T[i] < k) a++;
                if (rankT2I[i] < k) b++;
            }
            out.put("image_to_text_R@" + k, (double) a / n);
            out.put("text_to_image_R@" + k, (double) b / n);
        }
        return out;
    }
}
