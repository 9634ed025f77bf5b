package org.clip4j.cli;

import org.clip4j.core.io.AtomicFile;
import org.clip4j.eval.ClassificationReport;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/** PNG charts of a classification report: the confusion matrix as a heat map and per-class accuracy as bars. */
final class EvalCharts {
    private EvalCharts() {
    }

    /** Left and top margins of the confusion PNG, in pixels (labels go there). */
    static final int MARGIN = 150;

    /** Cell size of the confusion PNG for {@code k} classes: 22 px, smaller for many classes (at least 4). */
    static int cell(int k) {
        return Math.max(4, Math.min(22, 1400 / Math.max(1, k)));
    }

    /**
     * Rows are true classes, columns predictions; a cell is shaded by its share of the row (white = none, dark
     * blue = all). Class names are drawn when the cells are large enough to hold them.
     */
    static void confusion(ClassificationReport r, Path png) throws IOException {
        int[][] c = r.confusion();
        int k = c.length, cell = cell(k);
        BufferedImage img = new BufferedImage(MARGIN + k * cell + 20, MARGIN + k * cell + 20, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, Math.min(11, Math.max(6, cell - 4))));
        for (int i = 0; i < k; i++) {
            int total = 0;
            for (int v : c[i]) total += v;
            for (int j = 0; j < k; j++) {
                float f = total == 0 ? 0 : (float) c[i][j] / total;
                g.setColor(new Color(1 - f * 0.85f, 1 - f * 0.65f, 1f - f * 0.2f));
                g.fillRect(MARGIN + j * cell, MARGIN + i * cell, cell - 1, cell - 1);
            }
            if (cell >= 8) {
                String name = shorten(r.classes().get(i));
                g.setColor(Color.BLACK);
                g.drawString(name, 4, MARGIN + i * cell + cell - 5);
                Graphics2D rot = (Graphics2D) g.create();
                rot.rotate(-Math.PI / 2, MARGIN + i * cell + cell - 5, MARGIN - 4);
                rot.drawString(name, MARGIN + i * cell + cell - 5, MARGIN - 4);
                rot.dispose();
            }
        }
        g.setColor(Color.DARK_GRAY);
        g.drawString("rows: true class, columns: predicted", 4, 14);
        g.dispose();
        AtomicFile.write(png, AtomicFile.IfExists.REPLACE, out -> ImageIO.write(img, "png", out));
    }

    /** Per-class accuracy as a bar chart (classes without examples are left out). */
    static void perClassAccuracy(ClassificationReport r, Path png, String title) throws IOException {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (int i = 0; i < r.classes().size(); i++) {
            double a = r.perClassAccuracy()[i];
            if (!Double.isNaN(a)) data.addValue(a, "accuracy", shorten(r.classes().get(i)) + " (" + i + ")");
        }
        JFreeChart chart = ChartFactory.createBarChart(title, "class", "accuracy", data, PlotOrientation.VERTICAL, false, false, false);
        chart.getCategoryPlot().setBackgroundPaint(Color.WHITE);
        chart.getCategoryPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
        chart.getCategoryPlot().getRangeAxis().setRange(0, 1);
        chart.getCategoryPlot().getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_90);
        int width = Math.max(700, Math.min(4000, 60 + 18 * r.classes().size()));
        AtomicFile.write(png, AtomicFile.IfExists.REPLACE, out -> ChartUtils.writeChartAsPNG(out, chart, width, 600));
    }

    private static String shorten(String s) {
        return s.length() <= 22 ? s : s.substring(0, 21) + "…";
    }
}
