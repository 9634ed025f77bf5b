package org.clip4j.train.data;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * An embedded image-text dataset that needs no download: coloured shapes of several sizes and positions on a
 * noisy background, with captions such as "a large red circle at the top left.". Every sample is a pure function
 * of (seed, index), so a run is reproducible and a dataset of any length costs no storage.
 *
 * <p>Some colour-shape combinations are held out of training ({@link #heldOut()}): a model that has learnt
 * colour and shape separately should still recognise them (compositional generalisation), which the
 * evaluation reports separately.
 */
public final class SyntheticShapes {
    /** Colour names and their RGB values. */
    public static final List<String> COLORS = List.of("red", "green", "blue", "yellow", "purple", "orange");
    private static final Color[] RGB = {new Color(220, 30, 30), new Color(30, 170, 50), new Color(30, 70, 225),
            new Color(235, 215, 20), new Color(140, 40, 180), new Color(245, 130, 20)};
    /** Shape names. */
    public static final List<String> SHAPES = List.of("circle", "square", "triangle", "star");
    private static final String[] SIZES = {"small", "large"};
    private static final String[] ROWS = {"top", "middle", "bottom"};
    private static final String[] COLS = {"left", "center", "right"};
    /** Combinations never drawn for training (one per shape, no colour twice): "colour shape". */
    public static final Set<String> DEFAULT_HELD_OUT = Set.of("red star", "green triangle", "blue square", "yellow circle");

    /** One rendered sample with its caption and labels. */
    public record Sample(BufferedImage image, String caption, String color, String shape) {
        /** The class name "colour shape", e.g. "red circle". */
        public String label() {
            return color + " " + shape;
        }
    }

    private final long seed;
    private final int imageSize;
    private final Set<String> heldOut;
    private final boolean heldOutOnly;

    /**
     * @param seed       dataset seed
     * @param imageSize  side of the square images in pixels
     * @param heldOut    "colour shape" combinations excluded from this split (or the only ones drawn, see below)
     * @param heldOutOnly true to draw only the held-out combinations (the generalisation test split)
     */
    public SyntheticShapes(long seed, int imageSize, Set<String> heldOut, boolean heldOutOnly) {
        if (imageSize < 16) throw new IllegalArgumentException("image size " + imageSize + ": expected at least 16");
        for (String h : heldOut) {
            String[] p = h.split(" ");
            if (p.length != 2 || !COLORS.contains(p[0]) || !SHAPES.contains(p[1])) {
                throw new IllegalArgumentException("held-out combination '" + h + "': expected 'colour shape' from "
                        + COLORS + " x " + SHAPES);
            }
        }
        this.seed = seed;
        this.imageSize = imageSize;
        this.heldOut = Set.copyOf(heldOut);
        this.heldOutOnly = heldOutOnly;
    }

    /** The training split: every combination except {@link #DEFAULT_HELD_OUT}. */
    public static SyntheticShapes training(long seed, int imageSize) {
        return new SyntheticShapes(seed, imageSize, DEFAULT_HELD_OUT, false);
    }

    /** The held-out split: only the combinations of {@link #DEFAULT_HELD_OUT}. */
    public static SyntheticShapes heldOutSplit(long seed, int imageSize) {
        return new SyntheticShapes(seed, imageSize, DEFAULT_HELD_OUT, true);
    }

    public Set<String> heldOut() {
        return heldOut;
    }

    public int imageSize() {
        return imageSize;
    }

    /** All 24 class names "colour shape", colour-major. */
    public static List<String> allLabels() {
        List<String> out = new ArrayList<>();
        for (String c : COLORS) for (String s : SHAPES) out.add(c + " " + s);
        return out;
    }

    /** The combinations this split draws from. */
    public List<String> labels() {
        List<String> out = new ArrayList<>();
        for (String l : allLabels()) if (heldOut.contains(l) == heldOutOnly) out.add(l);
        return out;
    }

    /** Sample {@code index}: a pure function of (seed, index). */
    public Sample sample(long index) {
        // java.util.Random's first outputs are correlated for consecutive seeds: mix (seed, index) first.
        Random r = new Random(mix(seed * 0x9E3779B97F4A7C15L + index));
        List<String> labels = labels();
        String[] label = labels.get(r.nextInt(labels.size())).split(" ");
        int color = COLORS.indexOf(label[0]), shape = SHAPES.indexOf(label[1]);
        int size = r.nextInt(2), row = r.nextInt(3), col = r.nextInt(3);
        BufferedImage img = render(r, color, shape, size, row, col);
        String caption = caption(r, label[0], label[1], SIZES[size], ROWS[row], COLS[col]);
        return new Sample(img, caption, label[0], label[1]);
    }

    private BufferedImage render(Random r, int color, int shape, int size, int row, int col) {
        int n = imageSize;
        BufferedImage img = new BufferedImage(n, n, BufferedImage.TYPE_INT_RGB);
        int base = 200 + r.nextInt(40);
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int v = base + r.nextInt(16) - 8; // light grey with noise
                img.setRGB(x, y, (v << 16) | (v << 8) | v);
            }
        }
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        // Large enough to tell a star from a circle at 32 px; kept inside the image so the outline is whole.
        double d = n * (size == 0 ? 0.34 : 0.56) * (0.9 + 0.2 * r.nextDouble());
        double cx = clamp(n * (col + 0.5) / 3 + (r.nextDouble() - 0.5) * n * 0.06, d / 2, n - d / 2);
        double cy = clamp(n * (row + 0.5) / 3 + (r.nextDouble() - 0.5) * n * 0.06, d / 2, n - d / 2);
        Color c = RGB[color];
        int jitter = 20;
        g.setColor(new Color(clamp(c.getRed() + r.nextInt(jitter) - jitter / 2),
                clamp(c.getGreen() + r.nextInt(jitter) - jitter / 2), clamp(c.getBlue() + r.nextInt(jitter) - jitter / 2)));
        switch (SHAPES.get(shape)) {
            case "circle" -> g.fill(new Ellipse2D.Double(cx - d / 2, cy - d / 2, d, d));
            case "square" -> g.fillRect((int) Math.round(cx - d / 2), (int) Math.round(cy - d / 2), (int) Math.round(d), (int) Math.round(d));
            case "triangle" -> g.fillPolygon(polygon(cx, cy, d / 2, 3, 0));
            default -> g.fillPolygon(star(cx, cy, d / 2));
        }
        g.setStroke(new BasicStroke(1f));
        g.dispose();
        return img;
    }

    /** A 64-bit finaliser (SplitMix64's): nearby inputs give unrelated outputs. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    private static Polygon polygon(double cx, double cy, double radius, int corners, double phase) {
        Polygon p = new Polygon();
        for (int i = 0; i < corners; i++) {
            double a = -Math.PI / 2 + phase + 2 * Math.PI * i / corners;
            p.addPoint((int) Math.round(cx + radius * Math.cos(a)), (int) Math.round(cy + radius * Math.sin(a)));
        }
        return p;
    }

    private static Polygon star(double cx, double cy, double radius) {
        Polygon p = new Polygon();
        for (int i = 0; i < 10; i++) {
            double a = -Math.PI / 2 + Math.PI * i / 5;
            double rr = i % 2 == 0 ? radius : radius * 0.45;
            p.addPoint((int) Math.round(cx + rr * Math.cos(a)), (int) Math.round(cy + rr * Math.sin(a)));
        }
        return p;
    }

    /**
     * A caption at one of four levels of detail, as real alt-texts vary: everything, no position, no size, or
     * colour and shape only. The shorter ones matter: when every caption names size and position, those (with
     * colour) already tell the pairs of a batch apart and the model has little reason to learn shape.
     */
    private static String caption(Random r, String color, String shape, String size, String row, String col) {
        String where = row.equals("middle") && col.equals("center") ? "in the center"
                : row.equals("middle") ? "on the " + col
                : col.equals("center") ? "at the " + row
                : "at the " + row + " " + col;
        String thing = color + " " + shape;
        String[] lead = {"a ", "a photo of a ", "there is a "};
        String l = lead[r.nextInt(lead.length)];
        return switch (r.nextInt(4)) {
            case 0 -> r.nextBoolean() ? l + size + " " + thing + " " + where + "." : "a " + size + " " + thing + ", " + where + ".";
            case 1 -> l + size + " " + thing + ".";
            case 2 -> l + thing + " " + where + ".";
            default -> l + thing + ".";
        };
    }
}
