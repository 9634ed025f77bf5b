package org.clip4j.core.image;

/**
 * How an image is brought to the square {@code size × size} model input (open_clip's {@code resize_mode}). Every
 * mode resizes with Pillow bicubic ({@link PillowResize}); an image already at the computed size is not resized.
 */
public enum ResizeMode {
    /**
     * The reference CLIP transform ({@code Resize(size)} then {@code CenterCrop(size)}): the short side becomes
     * {@code size}, the long side {@code int(size * long / short)} (truncated), then the centre {@code size × size}
     * is cropped at offsets {@code int(round((dim - size) / 2))}, Python's round-half-even.
     */
    SHORTEST,
    /** open_clip {@code resize_mode="squash"}: both sides resized to {@code size}, ignoring the aspect ratio. */
    SQUASH,
    /**
     * open_clip {@code resize_mode="longest"} ({@code ResizeKeepRatio(size, longest=1)} then
     * {@code CenterCropOrPad(size, fill=0)}): with {@code ratio = max(h / size, w / size)} (double), the image is
     * resized to {@code round(h / ratio) × round(w / ratio)} using Python's round-half-even (clamped to at least 1
     * pixel, where open_clip would fail), then padded to {@code size × size}: {@code (size - dim) / 2} (floor) before
     * and the rest after, with zero samples (black, transparent, or palette index 0 for palette images).
     */
    LONGEST;

    /** The {@code [width, height]} this mode resizes a {@code width × height} image to, for output {@code size}. */
    int[] resizedSize(int width, int height, int size) {
        return switch (this) {
            case SHORTEST -> {
                // torchvision 0.14 _compute_resized_output_size: int(requested * long / short), true division.
                boolean wide = width > height;
                int shortSide = wide ? height : width;
                int longSide = wide ? width : height;
                int newLong = (int) ((double) ((long) size * longSide) / shortSide);
                yield wide ? new int[] {newLong, size} : new int[] {size, newLong};
            }
            case SQUASH -> new int[] {size, size};
            case LONGEST -> {
                double ratioH = (double) height / size;
                double ratioW = (double) width / size;
                // open_clip: max(rh, rw) * longest + min(rh, rw) * (1 - longest) with longest = 1.0; the second
                // term is exactly 0.0, so this is max(rh, rw).
                double ratio = Math.max(ratioH, ratioW);
                int newH = Math.max(1, roundHalfEven(height / ratio));
                int newW = Math.max(1, roundHalfEven(width / ratio));
                yield new int[] {newW, newH};
            }
        };
    }

    /** Python 3's {@code round(x)} for doubles: half to even ({@link Math#rint}), unlike {@link Math#round}. */
    static int roundHalfEven(double x) {
        return (int) Math.rint(x);
    }
}
