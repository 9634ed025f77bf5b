package org.clip4j.core.image;

import java.awt.image.BufferedImage;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The training-time image transform of OpenCLIP ({@code image_transform(..., is_train=True)}), deterministic for a
 * seed: {@code RandomResizedCrop(size, scale, ratio, BICUBIC)} → {@code convert("RGB")} → optional colour jitter
 * (brightness, contrast, saturation, applied with probability p in a random order) → optional random grayscale →
 * {@code ToTensor} + {@code Normalize}.
 *
 * <p>The crop follows torchvision's {@code RandomResizedCrop.get_params} (ten tries of a random area fraction in
 * {@code scale} and a log-uniform aspect ratio in {@code ratio}, else a centre crop clamped to the ratio range,
 * Python's round-half-even), the crop and resize are Pillow's ({@code crop} then bicubic {@code resize} to
 * {@code size × size}, as {@link ImagePreprocessor}), and the colour operations are Pillow's {@code ImageEnhance}
 * on uint8 RGB: {@code blend(degenerate, image, factor)} with its float arithmetic, truncation and clipping,
 * grey levels {@code L = (19595 R + 38470 G + 7471 B + 2¹⁵) >> 16}. The random numbers come from a
 * {@link SplittableRandom} seeded by the caller (not from torch's generator), so a sample's augmentation is a
 * pure function of its seed: resumed runs and second feature-caching passes see the same pixels.
 *
 * <pre>{@code
 * TrainTransform t = TrainTransform.openClip(224);            // scale 0.9–1.0, no colour jitter
 * float[] chw = t.apply(image, sampleSeed);                    // [3, 224, 224]
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class TrainTransform {
    private final ImagePreprocessor normalizer;
    private final double scaleLo, scaleHi, ratioLo, ratioHi;
    private final double brightness, contrast, saturation, jitterProb, grayProb;

    private TrainTransform(Builder b) {
        this.normalizer = ImagePreprocessor.builder().size(b.size).mean(b.mean).std(b.std).resizeMode(ResizeMode.SQUASH).build();
        this.scaleLo = b.scaleLo;
        this.scaleHi = b.scaleHi;
        this.ratioLo = b.ratioLo;
        this.ratioHi = b.ratioHi;
        this.brightness = b.brightness;
        this.contrast = b.contrast;
        this.saturation = b.saturation;
        this.jitterProb = b.jitterProb;
        this.grayProb = b.grayProb;
    }

    /** OpenCLIP's default training transform: RandomResizedCrop with scale 0.9–1.0, CLIP mean/std, nothing else. */
    public static TrainTransform openClip(int size) {
        return builder().size(size).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public int size() {
        return normalizer.size();
    }

    /** The augmented image as CLIP input: {@code [3, N, N]} float32, CHW. */
    public float[] apply(DecodedImage image, long seed) {
        return normalizer.toPixelValues(applyToRgb(image, seed));
    }

    /** As {@link #apply(DecodedImage, long)} for a {@link BufferedImage}. */
    public float[] apply(BufferedImage image, long seed) {
        return apply(ImageDecoder.fromBufferedImage(image), seed);
    }

    /** The augmented uint8 RGB image before normalisation: {@code [N, N, 3]}, HWC. */
    public byte[] applyToRgb(DecodedImage image, long seed) {
        Objects.requireNonNull(image, "image");
        SplittableRandom r = new SplittableRandom(seed);
        int[] box = cropBox(image.width(), image.height(), r);   // top, left, height, width
        DecodedImage crop = CropOrPad.window(image, box[1], box[0], box[3], box[2]);
        int n = normalizer.size();
        byte[] rgb = RgbConversion.toRgb(PillowResize.resize(crop, n, n));   // [N, N, 3]
        if (jitterProb > 0 && r.nextDouble() < jitterProb) jitter(rgb, r);
        if (grayProb > 0 && r.nextDouble() < grayProb) grayscale(rgb);
        return rgb;
    }

    /**
     * torchvision's {@code RandomResizedCrop.get_params}: {top, left, height, width} of the crop of a
     * {@code width × height} image.
     */
    int[] cropBox(int width, int height, SplittableRandom r) {
        double area = (double) width * height;
        double logLo = Math.log(ratioLo), logHi = Math.log(ratioHi);
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * uniform(r, scaleLo, scaleHi);
            double aspect = Math.exp(uniform(r, logLo, logHi));
            int w = (int) Math.rint(Math.sqrt(target * aspect));   // Python's round(): half to even
            int h = (int) Math.rint(Math.sqrt(target / aspect));
            if (w > 0 && w <= width && h > 0 && h <= height) {
                int top = r.nextInt(height - h + 1);
                int left = r.nextInt(width - w + 1);
                return new int[]{top, left, h, w};
            }
        }
        // Fallback: a centre crop, clamped to the ratio range.
        double inRatio = (double) width / height;
        int w, h;
        if (inRatio < ratioLo) {
            w = width;
            h = (int) Math.rint(w / ratioLo);
        } else if (inRatio > ratioHi) {
            h = height;
            w = (int) Math.rint(h * ratioHi);
        } else {
            w = width;
            h = height;
        }
        return new int[]{(height - h) / 2, (width - w) / 2, h, w};
    }

    private static double uniform(SplittableRandom r, double lo, double hi) {
        return lo + (hi - lo) * r.nextDouble();
    }

    /** torchvision's ColorJitter without hue: the three enhancements in a random order, factors in [1−x, 1+x]. */
    private void jitter(byte[] rgb, SplittableRandom r) {
        int[] order = {0, 1, 2};
        for (int i = 2; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        double fb = uniform(r, Math.max(0, 1 - brightness), 1 + brightness);
        double fc = uniform(r, Math.max(0, 1 - contrast), 1 + contrast);
        double fs = uniform(r, Math.max(0, 1 - saturation), 1 + saturation);
        for (int op : order) {
            if (op == 0 && brightness > 0) brightness(rgb, (float) fb);
            if (op == 1 && contrast > 0) contrast(rgb, (float) fc);
            if (op == 2 && saturation > 0) saturation(rgb, (float) fs);
        }
    }

    /** Pillow's {@code ImageEnhance.Brightness}: blend with black. */
    static void brightness(byte[] rgb, float f) {
        for (int i = 0; i < rgb.length; i++) rgb[i] = blend(0, rgb[i] & 0xff, f);
    }

    /** Pillow's {@code ImageEnhance.Contrast}: blend with the image's mean grey level (rounded). */
    static void contrast(byte[] rgb, float f) {
        long sum = 0;
        int pixels = rgb.length / 3;
        for (int p = 0; p < pixels; p++) sum += luma(rgb, 3 * p);
        int mean = (int) ((double) sum / pixels + 0.5);
        for (int i = 0; i < rgb.length; i++) rgb[i] = blend(mean, rgb[i] & 0xff, f);
    }

    /** Pillow's {@code ImageEnhance.Color}: blend each pixel with its own grey level. */
    static void saturation(byte[] rgb, float f) {
        for (int p = 0; p < rgb.length; p += 3) {
            int l = luma(rgb, p);
            for (int c = 0; c < 3; c++) rgb[p + c] = blend(l, rgb[p + c] & 0xff, f);
        }
    }

    /** {@code convert("L")} then back to three equal channels (torchvision's {@code RandomGrayscale}). */
    static void grayscale(byte[] rgb) {
        for (int p = 0; p < rgb.length; p += 3) {
            byte l = (byte) luma(rgb, p);
            rgb[p] = l;
            rgb[p + 1] = l;
            rgb[p + 2] = l;
        }
    }

    /** Pillow's RGB → L: ITU-R 601-2 luma in 16-bit fixed point, rounded. */
    static int luma(byte[] rgb, int p) {
        return ((rgb[p] & 0xff) * 19595 + (rgb[p + 1] & 0xff) * 38470 + (rgb[p + 2] & 0xff) * 7471 + 0x8000) >> 16;
    }

    /** Pillow's {@code ImagingBlend} for one uint8 sample: {@code in1 + alpha (in2 − in1)}, truncated, clipped. */
    static byte blend(int in1, int in2, float alpha) {
        float v = in1 + alpha * (in2 - in1);
        if (alpha >= 0 && alpha <= 1) return (byte) (int) v;
        return v <= 0 ? 0 : v >= 255 ? (byte) 255 : (byte) (int) v;
    }

    /** Options; defaults are OpenCLIP's: scale 0.9–1.0, ratio 3/4–4/3, CLIP mean/std, no jitter, no grayscale. */
    public static final class Builder {
        private int size = 224;
        private float[] mean = ImagePreprocessor.clipMean(), std = ImagePreprocessor.clipStd();
        private double scaleLo = 0.9, scaleHi = 1.0, ratioLo = 3.0 / 4, ratioHi = 4.0 / 3;
        private double brightness, contrast, saturation, jitterProb, grayProb;

        public Builder size(int size) {
            if (size < 1) throw new IllegalArgumentException("size " + size + ": expected >= 1");
            this.size = size;
            return this;
        }

        public Builder mean(float... mean) {
            this.mean = mean.clone();
            return this;
        }

        public Builder std(float... std) {
            this.std = std.clone();
            return this;
        }

        /** Range of the crop's area as a fraction of the image (OpenCLIP's {@code aug_cfg.scale}). */
        public Builder scale(double lo, double hi) {
            if (!(lo > 0 && lo <= hi && hi <= 1)) throw new IllegalArgumentException("scale (" + lo + ", " + hi + "): expected 0 < lo <= hi <= 1");
            this.scaleLo = lo;
            this.scaleHi = hi;
            return this;
        }

        /** Range of the crop's aspect ratio width/height. */
        public Builder ratio(double lo, double hi) {
            if (!(lo > 0 && lo <= hi)) throw new IllegalArgumentException("ratio (" + lo + ", " + hi + "): expected 0 < lo <= hi");
            this.ratioLo = lo;
            this.ratioHi = hi;
            return this;
        }

        /**
         * Colour jitter applied with probability {@code prob}: brightness, contrast and saturation factors drawn from
         * [max(0, 1 − x), 1 + x] (OpenCLIP's {@code color_jitter} without hue, and {@code color_jitter_prob}).
         */
        public Builder colorJitter(double brightness, double contrast, double saturation, double prob) {
            if (brightness < 0 || contrast < 0 || saturation < 0) throw new IllegalArgumentException("colour jitter strengths must be >= 0");
            checkProbability(prob, "colour jitter probability");
            this.brightness = brightness;
            this.contrast = contrast;
            this.saturation = saturation;
            this.jitterProb = prob;
            return this;
        }

        /** Grayscale with probability {@code prob} (OpenCLIP's {@code gray_scale_prob}). */
        public Builder grayscale(double prob) {
            checkProbability(prob, "grayscale probability");
            this.grayProb = prob;
            return this;
        }

        private static void checkProbability(double p, String what) {
            if (!(p >= 0 && p <= 1)) throw new IllegalArgumentException(what + " " + p + ": expected 0..1");
        }

        public TrainTransform build() {
            return new TrainTransform(this);
        }
    }
}
