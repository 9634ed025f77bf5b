package org.clip4j.encoders;

import org.clip4j.core.nn.Parameter;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tiny ModifiedResNet CLIP (rn_tiny) against the reference: stem and stage outputs, image features, logits,
 * loss and every stored gradient (float32, BatchNorm in eval mode as the fixture).
 */
class RnTinyFixtureTest {
    static ClipModel model;
    static SafetensorsFile expected;

    @BeforeAll
    static void load() {
        model = ClipModel.load(Fixtures.dir().resolve("rn_tiny.safetensors"));
        expected = SafetensorsFile.open(Fixtures.dir().resolve("rn_tiny.expected.safetensors"));
    }

    @AfterAll
    static void close() {
        model.close();
        expected.close();
    }

    @Test
    void stemStagesFeaturesAndLogits() {
        Map<String, INDArray> seen = new HashMap<>();
        model.setProbe((k, v) -> seen.put("debug." + k, v.dup('c')));
        INDArray image = expected.floatArray("image");
        INDArray fi;
        try {
            fi = model.encodeImage(image);
        } finally {
            model.setProbe(null);
        }
        for (String name : new String[] {"debug.visual.stem", "debug.visual.layer1", "debug.visual.layer2",
                "debug.visual.layer3", "debug.visual.layer4"}) {
            assertTrue(seen.containsKey(name), "no intermediate reported for " + name + "; have " + seen.keySet());
            Fixtures.assertClose("rn_tiny " + name, seen.get(name), expected.floatArray(name), 1e-4);
        }
        Fixtures.assertClose("rn_tiny image_features", fi, expected.floatArray("image_features"), 1e-4);
        try (ClipModel.Logits l = model.logits(image, expected.array("text"))) {
            Fixtures.assertClose("rn_tiny logits_per_image", l.perImage(), expected.floatArray("logits_per_image"),
                    1e-4);
            Fixtures.assertClose("rn_tiny logits_per_text", l.perText(), expected.floatArray("logits_per_text"),
                    1e-4);
        }
    }

    @Test
    void batchOfOneGivesTheSameRow() {
        INDArray image = expected.floatArray("image");
        INDArray all = model.encodeImage(image);
        INDArray one = model.encodeImage(image.get(NDArrayIndex.interval(2, 3)).dup());
        Fixtures.assertClose("rn_tiny batch 1 image row", one, all.get(NDArrayIndex.interval(2, 3)), 1e-5);
    }

    @Test
    void lossAndGradients() {
        int checked = Fixtures.assertLossAndGradients("rn_tiny", model, expected);
        assertEquals(11, checked);
        // Eval mode: the running statistics and counters are untouched by a training step.
        for (Parameter p : model.stateDict()) {
            if (p.name().endsWith("num_batches_tracked")) assertEquals(0L, p.value().getLong(0), p.name());
        }
    }

    @Test
    void doublePrecisionModelAgreesWithTheFloatReference() {
        try (ClipModel m = ClipModel.load(Fixtures.dir().resolve("rn_tiny.safetensors"), DataType.DOUBLE)) {
            INDArray image = expected.floatArray("image").castTo(DataType.DOUBLE);
            INDArray fi = m.encodeImage(image);
            assertEquals(DataType.DOUBLE, fi.dataType());
            // The README gives a float32-vs-float64 difference of 1.1e-6 for image_features.
            Fixtures.assertClose("rn_tiny float64 image_features", fi, expected.floatArray("image_features"), 1e-5);
        }
    }
}
