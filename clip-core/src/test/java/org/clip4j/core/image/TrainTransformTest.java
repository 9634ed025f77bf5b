package org.clip4j.core.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class TrainTransformTest {
    private static JsonNode pillow() throws IOException {
        return new ObjectMapper().readTree(Fixtures.extra().resolve("enhance.json").toFile());
    }

    private static byte[] bytes(JsonNode array) {
        byte[] out = new byte[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = (byte) array.get(i).asInt();
        return out;
    }

    @Test
    void colourOperationsEqualPillowImageEnhance() throws IOException {
        JsonNode ref = pillow();
        byte[] src = bytes(ref.get("rgb"));
        int checked = 0;
        for (JsonNode c : ref.get("cases")) {
            String op = c.get("op").asText();
            byte[] rgb = src.clone();
            float f = (float) c.path("factor").asDouble();
            switch (op) {
                case "brightness" -> TrainTransform.brightness(rgb, f);
                case "contrast" -> TrainTransform.contrast(rgb, f);
                case "saturation" -> TrainTransform.saturation(rgb, f);
                case "grayscale" -> TrainTransform.grayscale(rgb);
                default -> {
                    continue;
                }
            }
            assertArrayEquals(bytes(c.get("rgb")), rgb, op + " " + f);
            checked++;
        }
        assertEquals(19, checked);
    }

    @Test
    void cropAndResizeEqualPillow() throws IOException {
        JsonNode ref = pillow();
        int w = ref.get("width").asInt(), h = ref.get("height").asInt();
        DecodedImage img = DecodedImage.of(ImageMode.RGB, w, h, bytes(ref.get("rgb")));
        int checked = 0;
        for (JsonNode c : ref.get("cases")) {
            if (!c.get("op").asText().equals("resized_crop")) continue;
            int s = c.get("size").asInt();
            DecodedImage crop = CropOrPad.window(img, c.get("left").asInt(), c.get("top").asInt(), c.get("width").asInt(), c.get("height").asInt());
            assertArrayEquals(bytes(c.get("rgb")), RgbConversion.toRgb(PillowResize.resize(crop, s, s)), c.toString());
            checked++;
        }
        assertEquals(3, checked);
    }

    @Test
    void fullCropOfASquareImageIsTheEvaluationTransform() {
        // scale 1 and ratio 1 on a square image: the crop is the whole image, then resize to N×N — exactly what
        // the reference evaluation transform does to a square image (resize the short side, centre crop nothing).
        SplittableRandom r = new SplittableRandom(3);
        byte[] px = new byte[45 * 45 * 3];
        for (int i = 0; i < px.length; i++) px[i] = (byte) r.nextInt(256);
        DecodedImage img = DecodedImage.of(ImageMode.RGB, 45, 45, px);
        TrainTransform t = TrainTransform.builder().size(32).scale(1, 1).ratio(1, 1).build();
        assertArrayEquals(ImagePreprocessor.clip(32).apply(img), t.apply(img, 12345));
    }

    @Test
    void cropBoxesFollowTorchvisionsRules() {
        TrainTransform t = TrainTransform.openClip(32);
        SplittableRandom r = new SplittableRandom(7);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            int[] b = t.cropBox(240, 200, r);   // top, left, height, width
            double area = (double) b[2] * b[3] / (240 * 200), ratio = (double) b[3] / b[2];
            assertTrue(b[0] >= 0 && b[1] >= 0 && b[0] + b[2] <= 200 && b[1] + b[3] <= 240, java.util.Arrays.toString(b));
            assertTrue(area >= 0.9 - 0.01 && area <= 1.0, "area fraction " + area);      // rounding of w, h
            assertTrue(ratio >= 0.75 - 0.01 && ratio <= 4.0 / 3 + 0.01, "aspect " + ratio);
            seen.add(java.util.Arrays.toString(b));
        }
        assertTrue(seen.size() > 50, "crops should vary: " + seen.size());
        // 3:2 at scale ≥ 0.9: no crop within the ratio range 3/4–4/3 fits (h = sqrt(54,000 / (4/3)) = 201 > 200),
        // so torchvision always falls back to the centre crop clamped to 4/3: 267 × 200.
        for (long s = 0; s < 20; s++) assertArrayEquals(new int[]{0, 16, 200, 267}, t.cropBox(300, 200, new SplittableRandom(s)));
        // A 1000×10 strip: no crop of 90–100 % of the area fits the ratio range → centre crop clamped to ratio 4/3.
        assertArrayEquals(new int[]{0, 493, 10, 13}, t.cropBox(1000, 10, new SplittableRandom(1)));
        // A 10×1000 strip: ratio clamped to 3/4 → width 10, height round(10 / 0.75) = 13.
        assertArrayEquals(new int[]{493, 0, 13, 10}, t.cropBox(10, 1000, new SplittableRandom(1)));
    }

    @Test
    void deterministicForASeedAndDifferentAcrossSeeds() {
        SplittableRandom r = new SplittableRandom(11);
        byte[] px = new byte[80 * 60 * 3];
        for (int i = 0; i < px.length; i++) px[i] = (byte) r.nextInt(256);
        DecodedImage img = DecodedImage.of(ImageMode.RGB, 80, 60, px);
        TrainTransform t = TrainTransform.builder().size(24).colorJitter(0.4, 0.4, 0.4, 0.8).grayscale(0.2).build();
        assertArrayEquals(t.apply(img, 99), t.apply(img, 99));
        Set<String> distinct = new HashSet<>();
        int gray = 0;
        for (long s = 0; s < 40; s++) {
            byte[] out = t.applyToRgb(img, s);
            distinct.add(java.util.Arrays.toString(out));
            boolean allGray = true;
            for (int p = 0; p < out.length; p += 3) allGray &= out[p] == out[p + 1] && out[p] == out[p + 2];
            if (allGray) gray++;
        }
        assertEquals(40, distinct.size());
        assertTrue(gray > 0 && gray < 20, "grayscale with probability 0.2: " + gray + " of 40");
    }

    @Test
    void badOptionsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> TrainTransform.builder().scale(0.5, 1.2));
        assertThrows(IllegalArgumentException.class, () -> TrainTransform.builder().ratio(2, 1));
        assertThrows(IllegalArgumentException.class, () -> TrainTransform.builder().grayscale(1.5));
        assertThrows(IllegalArgumentException.class, () -> TrainTransform.builder().colorJitter(-0.1, 0, 0, 1));
    }
}
