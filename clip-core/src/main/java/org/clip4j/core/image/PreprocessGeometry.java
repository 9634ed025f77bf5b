package org.clip4j.core.image;

/**
 * Where the {@code size × size} output window of a preprocessing run lies: the image is first resized to
 * {@code resizedWidth × resizedHeight}, then output pixel {@code (x, y)} is resized pixel
 * {@code (x + left, y + top)}, or a zero (padding) sample when that lies outside the resized image.
 *
 * <p>For {@link ResizeMode#SHORTEST} {@code left} and {@code top} are torchvision's {@code CenterCrop} offsets
 * ({@code crop_left}, {@code crop_top}); negative values mean padding (open_clip's {@code CenterCropOrPad}).
 *
 * @param resizedWidth  width after the resize
 * @param resizedHeight height after the resize
 * @param left          x offset of the output window in the resized image (negative: padding on the left)
 * @param top           y offset of the output window in the resized image (negative: padding on top)
 * @param size          the output side length
 */
public record PreprocessGeometry(int resizedWidth, int resizedHeight, int left, int top, int size) {

    /** The geometry {@code mode} gives a {@code width × height} image for output {@code size}. */
    public static PreprocessGeometry of(ResizeMode mode, int width, int height, int size) {
        if (width <= 0 || height <= 0 || size <= 0) {
            throw new IllegalArgumentException("image and output sizes must be positive, got " + width + "x" + height + " -> " + size);
        }
        int[] resized = mode.resizedSize(width, height, size);
        return new PreprocessGeometry(resized[0], resized[1], offset(resized[0], size), offset(resized[1], size), size);
    }

    /**
     * torchvision/open_clip centre crop along one axis: a dimension smaller than {@code size} is first padded by
     * {@code (size - dim) // 2} before; the crop offset in the (padded) image is {@code int(round((dim - size) / 2))}
     * with Python's half-to-even rounding (6.5 → 6, 44.5 → 44, 45.5 → 46).
     */
    static int offset(int dim, int size) {
        int padBefore = dim < size ? (size - dim) / 2 : 0;
        int padded = dim < size ? size : dim;
        return ResizeMode.roundHalfEven((padded - size) / 2.0) - padBefore;
    }

    /** True when the resize step changes the size of a {@code width × height} image. */
    public boolean resizes(int width, int height) {
        return width != resizedWidth || height != resizedHeight;
    }
}
