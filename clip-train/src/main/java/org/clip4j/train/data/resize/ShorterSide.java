package org.clip4j.train.data.resize;

import org.clip4j.core.image.DecodedImage;
import org.clip4j.core.image.PillowResize;

/**
 * Downscaling so that the shorter side is {@code n} pixels, aspect kept, never upscaling: the rule of
 * img2dataset's and OpenCLIP users' Pillow one-liners, {@code s = n / min(w, h)}; if {@code s < 1},
 * {@code im.resize((max(1, round(w·s)), max(1, round(h·s))), BICUBIC)} with Python's {@code round} (half to
 * even) on the same double products. The resize is {@link PillowResize}, so it is bit for bit Pillow's for every
 * mode (alpha premultiplied for RGBA/LA, NEAREST for palette and 1-bit images).
 */
public final class ShorterSide {
    private ShorterSide() {
    }

    /** The {@code {width, height}} a {@code w × h} image gets; unchanged when its shorter side is at most {@code n}. */
    public static int[] size(int w, int h, int n) {
        if (n < 1) throw new IllegalArgumentException("shorter side " + n + ": expected >= 1");
        double s = n / (double) Math.min(w, h);
        if (s >= 1) return new int[]{w, h};
        return new int[]{Math.max(1, (int) Math.rint(w * s)), Math.max(1, (int) Math.rint(h * s))};
    }

    /** {@code image} resized by {@link #size}, or {@code image} itself when it is already small enough. */
    public static DecodedImage resize(DecodedImage image, int n) {
        int[] wh = size(image.width(), image.height(), n);
        return PillowResize.resize(image, wh[0], wh[1]);
    }
}
