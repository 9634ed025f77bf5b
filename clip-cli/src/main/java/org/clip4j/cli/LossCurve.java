package org.clip4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.clip4j.core.io.AtomicFile;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The training loss (and validation loss, if any) of a {@code metrics.jsonl} as a PNG line chart. */
final class LossCurve {
    private LossCurve() {
    }

    /** Reads {@code metrics} and writes {@code png} (900×500); returns the number of training points drawn. */
    static int write(Path metrics, Path png, String title) throws IOException {
        XYSeries train = new XYSeries("training loss"), val = new XYSeries("validation loss");
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(metrics)) {
            if (line.isBlank()) continue;
            JsonNode n = json.readTree(line);
            long step = n.path("step").asLong();
            if (n.has("loss") && Double.isFinite(n.get("loss").asDouble())) train.addOrUpdate(step, n.get("loss").asDouble());
            if (n.has("val_loss")) val.addOrUpdate(step, n.get("val_loss").asDouble());
        }
        XYSeriesCollection data = new XYSeriesCollection(train);
        if (val.getItemCount() > 0) data.addSeries(val);
        JFreeChart chart = ChartFactory.createXYLineChart(title, "step", "contrastive loss", data,
                PlotOrientation.VERTICAL, true, false, false);
        chart.getXYPlot().setBackgroundPaint(java.awt.Color.WHITE);
        chart.getXYPlot().setDomainGridlinePaint(java.awt.Color.LIGHT_GRAY);
        chart.getXYPlot().setRangeGridlinePaint(java.awt.Color.LIGHT_GRAY);
        // atomically: the dashboard and the user may be looking at the previous one
        AtomicFile.write(png, AtomicFile.IfExists.REPLACE, out -> ChartUtils.writeChartAsPNG(out, chart, 900, 500));
        return train.getItemCount();
    }
}
