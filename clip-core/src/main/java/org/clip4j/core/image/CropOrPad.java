package org.clip4j.core.image;

/**
 * Cuts the {@code size × size} window at ({@code left}, {@code top}) out of an image, in the image's own mode
 * (before RGB conversion, as torchvision crops and pads PIL images). Window pixels outside the image get zero
 * samples, which is torchvision's {@code pad(fill=0)}: black, fully transparent, or palette index 0.
 */
final class CropOrPad {
    private CropOrPad() {
    }

    static DecodedImage window(DecodedImage image, int left, int top, int size) {
        return window(image, left, top, size, size);
    }

    /** The {@code width × height} window at ({@code left}, {@code top}), as Pillow's {@code crop} (zero outside). */
    static DecodedImage window(DecodedImage image, int left, int top, int width, int height) {
        int w = image.width();
        int h = image.height();
        if (left == 0 && top == 0 && w == width && h == height) return image;
        // Overlap of the window with the image, in window coordinates.
        int x0 = Math.max(0, -left);
        int x1 = Math.min(width, w - left);
        int y0 = Math.max(0, -top);
        int y1 = Math.min(height, h - top);
        if (image.mode().isInt32()) {
            int[] src = image.rawIntSamples();
            int[] out = new int[width * height];   // [height, width]
            for (int y = y0; y < y1; y++) {
                if (x1 > x0) System.arraycopy(src, (y + top) * w + x0 + left, out, y * width + x0, x1 - x0);
            }
            return DecodedImage.wrapInt32(width, height, out);
        }
        int c = image.channels();
        byte[] src = image.rawSamples();
        byte[] out = new byte[width * height * c];   // [height, width, C]
        for (int y = y0; y < y1; y++) {
            if (x1 > x0) {
                System.arraycopy(src, ((y + top) * w + x0 + left) * c, out, (y * width + x0) * c, (x1 - x0) * c);
            }
        }
        return image.withSamples(width, height, out);
    }
}
