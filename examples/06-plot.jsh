// clip4j notebook 6 of 6: the training loss curve of notebook 1 as a PNG, with JFreeChart.
//
//   jshell --class-path "$(cat examples/classpath.txt)" examples/06-plot.jsh
// Reads notebooks-out/tiny/metrics.jsonl (one JSON object per step: step, loss, lr, logit_scale, ...);
// writes notebooks-out/loss.png.

import java.nio.file.*;
import java.util.*;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

String setting(String property, String env, String fallback) {
    String v = System.getProperty(property);
    if (v == null || v.isBlank()) v = System.getenv(env);
    return v == null || v.isBlank() ? fallback : v.trim();
}

Path out = Path.of(setting("clip4j.notebooks.out", "CLIP4J_NOTEBOOKS_OUT", "notebooks-out"));
Path metrics = out.resolve("tiny").resolve("metrics.jsonl");
if (!Files.isRegularFile(metrics)) throw new IllegalStateException(metrics + " not found: run 01-train-tiny.jsh first");

// Training loss per step, and its mean over the last 50 steps (the raw curve is noisy: one batch per point).
XYSeries loss = new XYSeries("training loss"), smooth = new XYSeries("mean of the last 50 steps");
ObjectMapper json = new ObjectMapper();
Deque<Double> window = new ArrayDeque<>();
double windowSum = 0;
for (String line : Files.readAllLines(metrics)) {
    if (line.isBlank()) continue;
    JsonNode n = json.readTree(line);
    if (!n.has("loss") || !Double.isFinite(n.get("loss").asDouble())) continue;   // validation rows, skipped steps
    double v = n.get("loss").asDouble();
    loss.add(n.get("step").asLong(), v);
    window.addLast(v);
    windowSum += v;
    if (window.size() > 50) windowSum -= window.removeFirst();
    smooth.add(n.get("step").asLong(), windowSum / window.size());
}
int points = loss.getItemCount();

XYSeriesCollection series = new XYSeriesCollection(loss);
series.addSeries(smooth);
JFreeChart chart = ChartFactory.createXYLineChart("clip4j-tiny on the synthetic shapes", "step", "contrastive loss",
        series, PlotOrientation.VERTICAL, true, false, false);
chart.getXYPlot().setBackgroundPaint(java.awt.Color.WHITE);
chart.getXYPlot().setDomainGridlinePaint(java.awt.Color.LIGHT_GRAY);
chart.getXYPlot().setRangeGridlinePaint(java.awt.Color.LIGHT_GRAY);
Path png = out.resolve("loss.png");
ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 500);
System.out.printf(Locale.ROOT, "%s: %d steps, loss %.4f at the first, %.4f (mean of the last %d) at the end%n",
        png, points, loss.getY(0).doubleValue(), windowSum / window.size(), window.size());
/exit
