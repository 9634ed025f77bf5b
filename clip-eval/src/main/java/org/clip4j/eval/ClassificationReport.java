package org.clip4j.eval;

import java.util.List;

/**
 * Classification results from per-class scores: top-1 and top-5 accuracy, per-class accuracy (recall of each
 * true class), their mean, and the confusion matrix {@code confusion[true][predicted]} of top-1 predictions.
 * Ties in the ranking go to the lower class index.
 *
 * @param classes          class names, in score-column order
 * @param confusion        [K][K] counts, rows true classes, columns predicted
 * @param perClassAccuracy [K], NaN for a class without examples
 * @param meanPerClass     mean of the defined per-class accuracies
 */
public record ClassificationReport(List<String> classes, int count, double top1, double top5, int[][] confusion,
                                   double[] perClassAccuracy, double meanPerClass) {
    /** The report of {@code scores[i][k]} (higher is more likely) against {@code labels[i]}. */
    public static ClassificationReport of(double[][] scores, int[] labels, List<String> classes) {
        int k = classes.size(), n = labels.length;
        if (scores.length != n) throw new IllegalArgumentException(scores.length + " score rows for " + n + " labels");
        int[][] confusion = new int[k][k];
        int hit1 = 0, hit5 = 0;
        for (int i = 0; i < n; i++) {
            double[] s = scores[i];
            if (s.length != k) throw new IllegalArgumentException("score row " + i + " has " + s.length + " columns for " + k + " classes");
            int y = labels[i];
            if (y < 0 || y >= k) throw new IllegalArgumentException("label " + y + " of row " + i + " is not a class in [0, " + k + ")");
            int rank = 0, top = 0;                     // classes ranked above the true one; the argmax
            for (int j = 0; j < k; j++) {
                if (s[j] > s[y] || (s[j] == s[y] && j < y)) rank++;
                if (s[j] > s[top]) top = j;
            }
            confusion[y][top]++;
            if (rank == 0) hit1++;
            if (rank < 5) hit5++;
        }
        double[] per = new double[k];
        double sum = 0;
        int defined = 0;
        for (int c = 0; c < k; c++) {
            int total = 0;
            for (int v : confusion[c]) total += v;
            per[c] = total == 0 ? Double.NaN : (double) confusion[c][c] / total;
            if (total > 0) {
                sum += per[c];
                defined++;
            }
        }
        return new ClassificationReport(List.copyOf(classes), n, n == 0 ? 0 : (double) hit1 / n, n == 0 ? 0 : (double) hit5 / n,
                confusion, per, defined == 0 ? 0 : sum / defined);
    }
}
