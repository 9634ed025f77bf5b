package org.clip4j.cli;

import org.clip4j.train.StepMetrics;
import org.clip4j.train.TrainingListener;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/** A one-line console progress bar for {@code clip train}: step, loss, lr, temperature, speed, ETA. */
final class ProgressBar implements TrainingListener {
    private final PrintStream out;
    private final long started = System.nanoTime();
    private final boolean interactive;
    private long firstStep = -1;

    ProgressBar(PrintStream out) {
        this.out = out;
        this.interactive = System.console() != null;
    }

    @Override
    public void onStep(StepMetrics m) {
        if (firstStep < 0) firstStep = m.step() - 1;
        double elapsed = (System.nanoTime() - started) / 1e9;
        long done = m.step() - firstStep, left = m.totalSteps() - m.step();
        double eta = done > 0 ? elapsed / done * left : 0;
        int width = 24, fill = (int) (width * m.step() / Math.max(1, m.totalSteps()));
        String bar = "=".repeat(fill) + (fill < width ? ">" : "") + " ".repeat(Math.max(0, width - fill - 1));
        String line = String.format(Locale.ROOT, "[%s] step %d/%d  loss %.4f  lr %.2e  1/T %.1f  %.0f samples/s  data wait %.2fs  ETA %s%s",
                bar, m.step(), m.totalSteps(), m.loss(), m.lr(), m.logitScale(), m.samplesPerSecond(), m.dataWaitSeconds(),
                duration(eta), m.skippedStep() ? "  (skipped: non-finite)" : "");
        // On a terminal, redraw one line; in a log (CI, pipes), print a line every 10 steps and at the end.
        if (interactive) {
            out.print("\r" + line + (m.step() == m.totalSteps() ? "\n" : ""));
        } else if (m.step() % 10 == 0 || m.step() == m.totalSteps() || m.step() == firstStep + 1) {
            out.println(line);
        }
        out.flush();
    }

    @Override
    public void onValidation(long step, Map<String, Double> v) {
        StringBuilder sb = new StringBuilder(interactive ? "\n" : "").append("validation @ step ").append(step).append(':');
        v.forEach((k, x) -> sb.append(String.format(Locale.ROOT, "  %s %.4f", k, x)));
        out.println(sb);
    }

    static String duration(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60)
                : t >= 60 ? String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60) : t + "s";
    }
}
