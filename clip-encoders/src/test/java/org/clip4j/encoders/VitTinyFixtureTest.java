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

/** The tiny ViT CLIP against the reference outputs, intermediates and gradients (float32). */
class VitTinyFixtureTest {
    private static ClipModel model;
    private static SafetensorsFile expected;

    @BeforeAll
    static void load() {
        model = ClipModel.load(Fixtures.dir().resolve("vit_tiny.safetensors"));
        expected = SafetensorsFile.open(Fixtures.dir().resolve("vit_tiny.expected.safetensors"));
    }

    @AfterAll
    static void close() {
        model.close();
        expected.close();
    }

    @Test
    void configFromMetadata() {
        assertEquals(1, model.config().vision().heads());
        assertEquals(4, model.config().text().heads());
        assertTrue(model.config().quickGelu());
        assertEquals(222_657, model.parameterCount());
        assertEquals(62, model.stateDict().size());
    }

    @Test
    void everyIntermediateAndFeature() {
        Map<String, INDArray> seen = new HashMap<>();
        model.setProbe((k, v) -> seen.put("debug." + k, v.dup('c')));
        INDArray image = expected.floatArray("image");
        INDArray text = expected.array("text");
        INDArray fi, ft;
        try {
            fi = model.encodeImage(image);
            ft = model.encodeText(text);
        } finally {
            model.setProbe(null);
        }
        int checked = 0;
        for (String name : expected.names()) {
            if (!name.startsWith("debug.") || name.equals("debug.text_eot_index")) continue;
            assertTrue(seen.containsKey(name), "no intermediate reported for " + name + "; have " + seen.keySet());
            Fixtures.assertClose(name, seen.get(name), expected.floatArray(name), 1e-4);
            checked++;
        }
        assertEquals(9, checked);
        long[] ids = expected.longs("text");
        int[] eot = TextTransformer.eotIndex(ids, 4, 16);
        long[] want = expected.longs("debug.text_eot_index");
        for (int i = 0; i < 4; i++) assertEquals(want[i], eot[i], "eot index row " + i);
        Fixtures.assertClose("image_features", fi, expected.floatArray("image_features"), 1e-4);
        Fixtures.assertClose("text_features", ft, expected.floatArray("text_features"), 1e-4);
        try (ClipModel.Logits l = model.logits(image, text)) {
            Fixtures.assertClose("logits_per_image", l.perImage(), expected.floatArray("logits_per_image"), 1e-4);
            Fixtures.assertClose("logits_per_text", l.perText(), expected.floatArray("logits_per_text"), 1e-4);
        }
    }

    @Test
    void anyBatchSizeGivesTheSameRows() {
        INDArray image = expected.floatArray("image"), text = expected.array("text");
        INDArray all = model.encodeImage(image), allText = model.encodeText(text);
        INDArray one = model.encodeImage(image.get(NDArrayIndex.interval(0, 1)).dup());            // batch 1
        INDArray three = model.encodeText(text.get(NDArrayIndex.interval(1, 4)).dup());           // batch 3
        Fixtures.assertClose("batch 1 image row", one, all.get(NDArrayIndex.interval(0, 1)), 1e-6);
        Fixtures.assertClose("batch 3 text rows", three, allText.get(NDArrayIndex.interval(1, 4)), 1e-6);
    }

    @Test
    void doublePrecisionModelAgreesWithTheFloatReference() {
        try (ClipModel m = ClipModel.load(Fixtures.dir().resolve("vit_tiny.safetensors"), DataType.DOUBLE)) {
            INDArray image = expected.floatArray("image").castTo(DataType.DOUBLE);
            INDArray fi = m.encodeImage(image), ft = m.encodeText(expected.array("text"));
            assertEquals(DataType.DOUBLE, fi.dataType());
            // The README gives float32-vs-float64 differences of about 6e-7 for these outputs.
            Fixtures.assertClose("float64 image_features", fi, expected.floatArray("image_features"), 1e-5);
            Fixtures.assertClose("float64 text_features", ft, expected.floatArray("text_features"), 1e-5);
            double loss = m.forwardBackward(image, expected.array("text"));
            assertEquals(expected.floats("loss")[0], loss, 1e-5);
        }
    }

    @Test
    void lossAndGradients() {
        assertEquals(10, Fixtures.assertLossAndGradients("vit_tiny", model, expected));
    }
}
