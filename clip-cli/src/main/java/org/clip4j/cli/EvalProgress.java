package org.clip4j.cli;

import org.clip4j.eval.ProgressListener;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A console progress bar for {@code clip eval}: {@code [=====>    ] images 1200/10000  35.2/s  ETA 4m10s}. On a
 * terminal one line is redrawn; otherwise (logs, CI) a line is printed at every tenth and at the end.
 */
final class EvalProgress implements ProgressListener {
    private final PrintStream out;
    private final String label;
    private final boolean interactive;
    private final long started = System.nanoTime();
    private long lastTenth = -1;

    EvalProgress(PrintStream out, String label) {
        this.out = out;
        this.label = label;
        this.interactive = System.console() != null;
    }

    @Override
    public void update(String what, long done, long total) {
        long now = System.nanoTime();
        double elapsed = (now - started) / 1e9, rate = elapsed > 0 ? done / elapsed : 0;
        double eta = rate > 0 ? (total - done) / rate : 0;
        int width = 24, fill = (int) (width * done / Math.max(1, total));
        String bar = "=".repeat(fill) + (fill < width ? ">" : "") + " ".repeat(Math.max(0, width - fill - 1));
        String line = String.format(Locale.ROOT, "%s [%s] %s %d/%d  %.1f/s  ETA %s", label, bar, what, done, total, rate,
                ProgressBar.duration(eta));
        if (interactive) {
            out.print("\r" + line + (done >= total ? "\n" : ""));
        } else {
            long tenth = 10 * done / Math.max(1, total);
            if (tenth != lastTenth || done >= total) out.println(line);
            lastTenth = tenth;
        }
        out.flush();
    }
}
