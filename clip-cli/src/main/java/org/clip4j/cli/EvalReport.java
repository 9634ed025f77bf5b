package org.clip4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.clip4j.core.io.AtomicFile;
import org.clip4j.eval.ClassificationReport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The results of {@code clip eval}: one JSON object (printed, and written as {@code results.json}), a Markdown
 * table ({@code results.md}) and, for classification, {@code confusion.png} and {@code per_class.png}.
 */
final class EvalReport {
    private EvalReport() {
    }

    /** The JSON fields of a classification report: top-1/5, mean per-class accuracy, per-class accuracy by name. */
    static Map<String, Object> classification(ClassificationReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("images", r.count());
        m.put("top1", r.top1());
        m.put("top5", r.top5());
        m.put("mean_per_class_accuracy", r.meanPerClass());
        Map<String, Object> per = new LinkedHashMap<>();
        for (int c = 0; c < r.classes().size(); c++) {
            double v = r.perClassAccuracy()[c];
            per.put(r.classes().get(c), Double.isNaN(v) ? null : v);
        }
        m.put("per_class_accuracy", per);
        return m;
    }

    /** One line of JSON. */
    static String json(Map<String, Object> results) throws IOException {
        return new ObjectMapper().writeValueAsString(results);
    }

    /**
     * Writes {@code results.json} (indented), {@code results.md} (the scalar results as a two-column table, then
     * per-class accuracy when there is one) and, with a report, the two PNGs, into {@code dir}; each file is written
     * atomically ({@link AtomicFile}).
     */
    static void write(Path dir, String title, Map<String, Object> results, ClassificationReport report) throws IOException {
        Files.createDirectories(dir);
        AtomicFile.writeString(dir.resolve("results.json"),
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(results) + "\n");
        StringBuilder md = new StringBuilder("# ").append(title).append("\n\n| metric | value |\n| --- | --- |\n");
        for (Map.Entry<String, Object> e : results.entrySet()) {
            if (e.getValue() instanceof Map || e.getValue() instanceof List) continue;
            md.append("| ").append(e.getKey()).append(" | ").append(format(e.getValue())).append(" |\n");
        }
        if (report != null) {
            md.append("\n| class | images | accuracy |\n| --- | ---: | ---: |\n");
            for (int c = 0; c < report.classes().size(); c++) {
                int total = 0;
                for (int v : report.confusion()[c]) total += v;
                double a = report.perClassAccuracy()[c];
                md.append("| ").append(report.classes().get(c).replace("|", "\\|")).append(" | ").append(total).append(" | ")
                        .append(Double.isNaN(a) ? "–" : String.format(Locale.ROOT, "%.4f", a)).append(" |\n");
            }
            EvalCharts.confusion(report, dir.resolve("confusion.png"));
            EvalCharts.perClassAccuracy(report, dir.resolve("per_class.png"), title);
        }
        AtomicFile.writeString(dir.resolve("results.md"), md.toString());
    }

    static String format(Object v) {
        if (v instanceof Double d) return String.format(Locale.ROOT, Math.abs(d) >= 1e-3 || d == 0 ? "%.4f" : "%.4g", d);
        return String.valueOf(v);
    }
}
