package org.clip4j.core.image;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;

/**
 * CLIP image preprocessing, bit-exact with the reference {@code clip.clip._transform(n_px)} (torchvision 0.14 on
 * Pillow 9.4) in the default {@link ResizeMode#SHORTEST} mode:
 * <ol>
 *   <li>resize with Pillow bicubic ({@link PillowResize}) so that the short side is {@code size} (other modes:
 *       {@link ResizeMode});</li>
 *   <li>centre crop to {@code size × size} with round-half-even offsets (or pad, see {@link PreprocessGeometry});</li>
 *   <li>{@code convert("RGB")} <em>after</em> resizing and cropping ({@link RgbConversion});</li>
 *   <li>{@code (u / 255 - mean[c]) / std[c]} in float32, laid out CHW.</li>
 * </ol>
 *
 * <pre>{@code
 * ImagePreprocessor pre = ImagePreprocessor.clip(224);
 * float[] chw = pre.apply(Path.of("cat.jpg"));          // [3, 224, 224]
 * INDArray batch = pre.batch(List.of(a, b, c));          // [3, 3, 224, 224], decoded in parallel
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class ImagePreprocessor {
    /** CLIP's channel means (float32 of the reference's double constants). */
    private static final float[] CLIP_MEAN = {(float) 0.48145466, (float) 0.4578275, (float) 0.40821073};
    /** CLIP's channel standard deviations. */
    private static final float[] CLIP_STD = {(float) 0.26862954, (float) 0.26130258, (float) 0.27577711};

    private final int size;
    private final float[] mean;
    private final float[] std;
    private final ResizeMode resizeMode;
    /** {@code [3][256]}: {@code (u / 255f - mean[c]) / std[c]} for every byte u, the same float32 operations. */
    private final float[][] pixelLut;

    private ImagePreprocessor(Builder b) {
        this.size = b.size;
        this.mean = b.mean.clone();
        this.std = b.std.clone();
        this.pixelLut = new float[3][256];
        for (int c = 0; c < 3; c++) {
            for (int u = 0; u < 256; u++) pixelLut[c][u] = (u / 255f - mean[c]) / std[c];
        }
        this.resizeMode = b.resizeMode;
    }

    /** A builder with the CLIP defaults: size 224, CLIP mean and std, {@link ResizeMode#SHORTEST}. */
    public static Builder builder() {
        return new Builder();
    }

    /** The reference CLIP preprocessing for {@code size × size} inputs (CLIP mean/std, SHORTEST). */
    public static ImagePreprocessor clip(int size) {
        return builder().size(size).build();
    }

    /** CLIP's mean (0.48145466, 0.4578275, 0.40821073) as float32; a copy. */
    public static float[] clipMean() {
        return CLIP_MEAN.clone();
    }

    /** CLIP's std (0.26862954, 0.26130258, 0.27577711) as float32; a copy. */
    public static float[] clipStd() {
        return CLIP_STD.clone();
    }

    /** Output side length N. */
    public int size() {
        return size;
    }

    /** Per-channel mean (R, G, B); a copy. */
    public float[] mean() {
        return mean.clone();
    }

    /** Per-channel standard deviation (R, G, B); a copy. */
    public float[] std() {
        return std.clone();
    }

    /** How the image is fitted to the square output. */
    public ResizeMode resizeMode() {
        return resizeMode;
    }

    /** Resized size and crop/pad offsets for a {@code width × height} input. */
    public PreprocessGeometry geometry(int width, int height) {
        return PreprocessGeometry.of(resizeMode, width, height, size);
    }

    // ---- full pipeline: CHW float32 ----

    /** Decodes and preprocesses {@code file}: {@code [3, N, N]} float32, CHW. */
    public float[] apply(Path file) {
        return toPixelValues(applyToRgb(file));
    }

    /** Preprocesses {@code image} (converted with {@link ImageDecoder#fromBufferedImage}): {@code [3, N, N]}. */
    public float[] apply(BufferedImage image) {
        return toPixelValues(applyToRgb(image));
    }

    /** Preprocesses {@code image}: {@code [3, N, N]} float32, CHW. */
    public float[] apply(DecodedImage image) {
        return toPixelValues(applyToRgb(image));
    }

    // ---- up to the uint8 stage: HWC RGB ----

    /** The uint8 RGB image after resize, crop and RGB conversion: {@code [N, N, 3]}, HWC. */
    public byte[] applyToRgb(Path file) {
        return applyToRgb(ImageDecoder.read(file));
    }

    /** As {@link #applyToRgb(Path)} for a {@link BufferedImage}. */
    public byte[] applyToRgb(BufferedImage image) {
        return applyToRgb(ImageDecoder.fromBufferedImage(image));
    }

    /** As {@link #applyToRgb(Path)} for a decoded image. */
    public byte[] applyToRgb(DecodedImage image) {
        Objects.requireNonNull(image, "image");
        PreprocessGeometry g = geometry(image.width(), image.height());
        DecodedImage resized = PillowResize.resize(image, g.resizedWidth(), g.resizedHeight());
        DecodedImage window = CropOrPad.window(resized, g.left(), g.top(), size);
        return RgbConversion.toRgb(window);   // [N, N, 3]
    }

    /**
     * torchvision's {@code ToTensor} + {@code Normalize} on {@code rgb} ({@code [N, N, 3]} uint8): returns
     * {@code [3, N, N]} with {@code (u / 255f - mean[c]) / std[c]}, each operation rounded to float32 as torch does.
     */
    public float[] toPixelValues(byte[] rgb) {
        int plane = size * size;
        if (rgb.length != 3 * plane) {
            throw new IllegalArgumentException("expected " + (3 * plane) + " RGB bytes ([N, N, 3] with N = " + size + "), got " + rgb.length);
        }
        float[] out = new float[3 * plane];   // [3, N, N]
        for (int c = 0; c < 3; c++) {
            float[] lut = pixelLut[c];
            int o = c * plane;
            for (int i = 0; i < plane; i++) {
                out[o + i] = lut[rgb[3 * i + c] & 0xff];
            }
        }
        return out;
    }

    // ---- batches ----

    /**
     * Decodes and preprocesses {@code files} in parallel on a temporary pool of at most
     * {@code availableProcessors()} threads: a FLOAT {@code [n, 3, N, N]} array in argument order. If several files
     * fail, the exception of the first failing file (in argument order) is thrown.
     */
    public INDArray batch(List<Path> files) {
        return ParallelBatch.run(this, files, null);
    }

    /** As {@link #batch(List)}, running one task per file on {@code executor} (which is not shut down). */
    public INDArray batch(List<Path> files, ExecutorService executor) {
        return ParallelBatch.run(this, files, Objects.requireNonNull(executor, "executor"));
    }

    @Override
    public String toString() {
        return "ImagePreprocessor[size=" + size + ", mode=" + resizeMode + ", mean=" + Arrays.toString(mean)
                + ", std=" + Arrays.toString(std) + "]";
    }

    /** Builder for {@link ImagePreprocessor}; defaults are CLIP's (224, CLIP mean/std, SHORTEST). */
    public static final class Builder {
        private int size = 224;
        private float[] mean = CLIP_MEAN.clone();
        private float[] std = CLIP_STD.clone();
        private ResizeMode resizeMode = ResizeMode.SHORTEST;

        private Builder() {
        }

        /** Output side length N (1 to 8192). */
        public Builder size(int size) {
            if (size <= 0 || size > 8192) throw new IllegalArgumentException("size must be in 1..8192, got " + size);
            this.size = size;
            return this;
        }

        /** Per-channel mean, three finite values (R, G, B). */
        public Builder mean(float... mean) {
            this.mean = checkTriple("mean", mean, false);
            return this;
        }

        /** Per-channel standard deviation, three finite non-zero values (R, G, B). */
        public Builder std(float... std) {
            this.std = checkTriple("std", std, true);
            return this;
        }

        /** How the image is fitted to the square output. */
        public Builder resizeMode(ResizeMode resizeMode) {
            this.resizeMode = Objects.requireNonNull(resizeMode, "resizeMode");
            return this;
        }

        /** The preprocessor. */
        public ImagePreprocessor build() {
            return new ImagePreprocessor(this);
        }

        private static float[] checkTriple(String what, float[] v, boolean nonZero) {
            if (v == null || v.length != 3) {
                throw new IllegalArgumentException(what + " must have 3 values (R, G, B), got " + (v == null ? "null" : v.length));
            }
            for (float x : v) {
                if (!Float.isFinite(x) || (nonZero && x == 0f)) {
                    throw new IllegalArgumentException(what + " must be finite" + (nonZero ? " and non-zero" : "") + ", got " + Arrays.toString(v));
                }
            }
            return v.clone();
        }
    }
}
