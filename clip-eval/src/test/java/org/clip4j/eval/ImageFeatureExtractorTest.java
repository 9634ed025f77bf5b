package org.clip4j.eval;

import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Parameter;
import org.clip4j.eval.data.ClassificationDataset;
import org.clip4j.eval.data.DatasetSpec;
import org.clip4j.eval.data.IdxFile;
import org.clip4j.eval.probe.FeatureSet;
import org.clip4j.encoders.ClipModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/** Features through a small random ViT on a generated IDX dataset; zero-shot evaluation; the cache. */
class ImageFeatureExtractorTest {
    static final ClipConfig CFG = ClipConfig.fromJson("{\"embed_dim\":16,\"quick_gelu\":true,"
            + "\"vision_cfg\":{\"image_size\":32,\"layers\":1,\"width\":24,\"patch_size\":8,\"head_width\":12},"
            + "\"text_cfg\":{\"context_length\":16,\"vocab_size\":49408,\"width\":32,\"heads\":2,\"layers\":1}}");

    @TempDir
    Path tmp;

    /** Seven 6×6 images with varied pixels, labels 0..9 of Fashion-MNIST's classes. */
    ClassificationDataset dataset() throws IOException {
        byte[] px = new byte[7 * 36];
        for (int i = 0; i < px.length; i++) px[i] = (byte) ((i * 37 + (i / 36) * 91) % 256);
        IdxFile.write(tmp.resolve("t10k-images-idx3-ubyte"), new int[]{7, 6, 6}, px);
        IdxFile.write(tmp.resolve("t10k-labels-idx1-ubyte"), new int[]{7}, new byte[]{0, 3, 9, 3, 1, 0, 2});
        return DatasetSpec.parse("fashion-mnist:test:" + tmp).open("test");
    }

    @Test
    void preProjectionFeaturesTimesProjEqualTheEmbedding() throws IOException {
        ClassificationDataset ds = dataset();
        try (ClipModel m = ClipModel.create(CFG, 5)) {
            ImageFeatureExtractor x = new ImageFeatureExtractor(m, 3); // 3 batches: 3 + 3 + 1
            int[] idx = {6, 0, 2, 5};
            FeatureSet emb = x.extract(ds, idx, ImageFeatureExtractor.Layer.PROJECTED, ProgressListener.NONE);
            FeatureSet pre = x.extract(ds, idx, ImageFeatureExtractor.Layer.PRE_PROJECTION, ProgressListener.NONE);
            assertEquals(16, emb.d());
            assertEquals(24, pre.d());
            assertArrayEquals(new int[]{2, 0, 9, 0}, emb.labels());
            INDArray proj = m.stateDict().stream().filter(p -> p.name().equals("visual.proj")).findFirst()
                    .map(Parameter::value).orElseThrow();                                     // [24, 16]
            INDArray a = Nd4j.create(pre.features(), new long[]{4, 24}, DataType.FLOAT);
            INDArray want = a.mmul(proj);                                                   // [4, 16]
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 16; j++) assertEquals(want.getDouble(i, j), emb.features()[i * 16 + j], 1e-4, "row " + i);
            }
            // Row 0 is image 6 alone through the model.
            ImagePreprocessor p = ImagePreprocessor.clip(32);
            INDArray one = Nd4j.create(ds.pixels(6, p), new long[]{1, 3, 32, 32}, DataType.FLOAT);
            INDArray direct = m.encodeImage(one);
            for (int j = 0; j < 16; j++) assertEquals(direct.getDouble(0, j), emb.features()[j], 1e-4);
        }
    }

    @Test
    void zeroShotEvaluationCountsEveryImageOnce() throws IOException {
        ClassificationDataset ds = dataset();
        try (ClipModel m = ClipModel.create(CFG, 5);
             ZeroShotClassifier z = ZeroShotClassifier.build(m, org.clip4j.core.tokenizer.ClipTokenizer.openai(),
                     org.clip4j.eval.PromptSet.builtin("fashion-mnist").withTemplates(List.of("a photo of a {}.")), 8)) {
            int[] all = ImageFeatureExtractor.spread(ds.size(), 0);
            ClassificationReport r = z.evaluate(m, ds, all, 4, ProgressListener.NONE);
            assertEquals(7, r.count());
            // Independent: argmax of 100·cos(image, class) per image.
            FeatureSet f = new ImageFeatureExtractor(m, 7).extract(ds, all, ImageFeatureExtractor.Layer.PROJECTED, ProgressListener.NONE);
            int right = 0;
            for (int i = 0; i < 7; i++) {
                double best = Double.NEGATIVE_INFINITY;
                int arg = -1;
                for (int c = 0; c < 10; c++) {
                    double dot = 0, nn = 0;
                    for (int e = 0; e < 16; e++) {
                        dot += f.features()[i * 16 + e] * z.weights().getDouble(e, c);
                        nn += f.features()[i * 16 + e] * f.features()[i * 16 + e];
                    }
                    double cos = dot / Math.sqrt(nn);
                    if (cos > best) {
                        best = cos;
                        arg = c;
                    }
                }
                assertEquals(1, r.confusion()[f.labels()[i]][arg] > 0 ? 1 : 0, "image " + i + " predicted " + arg);
                if (arg == f.labels()[i]) right++;
            }
            assertEquals(right / 7.0, r.top1(), 1e-12);
        }
    }

    @Test
    void cacheReturnsTheStoredFeaturesForTheSameKeyOnly() {
        EvalCache cache = new EvalCache(tmp.resolve("cache"));
        AtomicInteger computed = new AtomicInteger();
        java.util.function.Supplier<FeatureSet> make = () -> {
            computed.incrementAndGet();
            return new FeatureSet(new float[]{1, 2, 3, 4}, 2, 2, new int[]{1, 0});
        };
        FeatureSet a = cache.features("model|1|2 dataset test", make);
        FeatureSet b = cache.features("model|1|2 dataset test", make);
        assertEquals(1, computed.get());
        assertArrayEquals(a.features(), b.features());
        assertArrayEquals(new int[]{1, 0}, b.labels());
        cache.features("model|1|3 dataset test", make);
        assertEquals(2, computed.get());
        assertArrayEquals(new int[]{0, 2, 4}, ImageFeatureExtractor.spread(7, 3)); // floor(i·7/3)
    }
}
