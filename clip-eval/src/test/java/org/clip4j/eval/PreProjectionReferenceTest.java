package org.clip4j.eval;

import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.encoders.ClipModel;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Features before and after the projection against the reference intermediates of the tiny fixtures (openai/CLIP
 * on PyTorch): a ViT's {@code ln_post} output, a ResNet's {@code layer4} averaged over space, and
 * {@code encode_image}.
 */
class PreProjectionReferenceTest {
    static final Path REF = Path.of(System.getProperty("clip4j.testdata"), "clip-reference");

    @Test
    void vitPreProjectionIsLnPost() {
        check("vit_tiny", "debug.visual.ln_post", false);
    }

    @Test
    void resnetPreProjectionIsTheSpatialMeanOfLayer4() {
        check("rn_tiny", "debug.visual.layer4", true);
    }

    private static double normwise(float[] actual, double[] expected) {
        assertEquals(expected.length, actual.length);
        double diff = 0, scale = 0;
        for (int i = 0; i < actual.length; i++) {
            diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        return diff / scale;
    }

    private static void check(String name, String tensor, boolean spatialMean) {
        try (ClipModel m = ClipModel.load(REF.resolve(name + ".safetensors"));
             SafetensorsFile ref = SafetensorsFile.open(REF.resolve(name + ".expected.safetensors"));
             INDArray images = ref.floatArray("image")) {                                   // [4, 3, R, R]
            ImageFeatureExtractor x = new ImageFeatureExtractor(m, 4);
            float[] pre = x.encode(images, ImageFeatureExtractor.Layer.PRE_PROJECTION);
            float[] emb = x.encode(images, ImageFeatureExtractor.Layer.PROJECTED);
            float[] want = ref.floats(tensor);                                              // [4, W] or [4, C, h, w]
            long[] s = ref.info(tensor).shape();
            int n = (int) s[0], c = (int) s[1], hw = spatialMean ? (int) (s[2] * s[3]) : 1;
            assertEquals(n * c, pre.length);
            double[] expected = new double[n * c];
            for (int i = 0; i < n * c; i++) {
                for (int p = 0; p < hw; p++) expected[i] += want[i * hw + p];
                expected[i] /= hw;
            }
            // The fixtures' measure: normwise relative error max|actual − expected| / max|expected| ≤ 1e-4.
            assertEquals(0, normwise(pre, expected), 1e-4, name + " pre-projection");
            float[] feat = ref.floats("image_features");
            double[] f = new double[feat.length];
            for (int k = 0; k < f.length; k++) f[k] = feat[k];
            assertEquals(0, normwise(emb, f), 1e-4, name + " image_features");
        }
    }
}
