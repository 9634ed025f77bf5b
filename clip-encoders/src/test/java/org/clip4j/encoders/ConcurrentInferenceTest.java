package org.clip4j.encoders;

import org.clip4j.core.safetensors.SafetensorsFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One {@link ClipModel} shared by several threads in inference: every thread gets the reference features.
 * Inference keeps no state in the model (no tape), so no per-thread handle is needed. The ResNet runs its
 * convolutions through oneDNN's cached primitives (one call per shape at a time, a stream per thread), with
 * different layers on different threads at once.
 */
class ConcurrentInferenceTest {
    @ParameterizedTest
    @ValueSource(strings = {"vit_tiny", "rn_tiny"})
    void sharedModelGivesReferenceFeaturesOnEveryThread(String name) throws Exception {
        try (ClipModel model = ClipModel.load(Fixtures.dir().resolve(name + ".safetensors"));
             SafetensorsFile expected = SafetensorsFile.open(Fixtures.dir().resolve(name + ".expected.safetensors"))) {
            INDArray image = expected.floatArray("image");
            INDArray text = expected.array("text");
            INDArray wantImage = expected.floatArray("image_features");
            INDArray wantText = expected.floatArray("text_features");
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<double[]>> results = new ArrayList<>();
                for (int t = 0; t < 16; t++) {
                    results.add(pool.submit(() -> {
                        double worst = 0;
                        for (int i = 0; i < 5; i++) {
                            try (INDArray fi = model.encodeImage(image); INDArray ft = model.encodeText(text)) {
                                worst = Math.max(worst, Math.max(rel(fi, wantImage), rel(ft, wantText)));
                            }
                        }
                        return new double[]{worst};
                    }));
                }
                for (Future<double[]> f : results) {
                    double err = f.get()[0];
                    assertEquals(0, err, 1e-4, "normwise relative error on a worker thread");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static double rel(INDArray actual, INDArray expected) {
        return actual.sub(expected).amaxNumber().doubleValue() / expected.amaxNumber().doubleValue();
    }
}
