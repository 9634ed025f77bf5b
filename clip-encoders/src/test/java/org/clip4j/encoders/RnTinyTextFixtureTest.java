package org.clip4j.encoders;

import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Tape;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rn_tiny checkpoint: the whole state dict (ResNet included, with BatchNorm buffers) loads; the text tower
 * matches the reference forward and, with the reference image features standing in for the
 * ResNet forward (tested in {@link RnTinyFixtureTest}), the text-side and logit_scale gradients.
 */
class RnTinyTextFixtureTest {
    private static ClipModel model;
    private static SafetensorsFile expected;

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
    void resNetStateDictLoads() {
        assertTrue(model.visual() instanceof ModifiedResNet);
        assertEquals(153, model.stateDict().size());
        assertEquals(8, model.config().vision().heads());
        assertEquals(1_419_897, model.parameterCount()); // trainable: BatchNorm running statistics excluded
        long buffers = 0;
        for (Parameter p : model.stateDict()) if (!p.isTrainable()) buffers += p.numel();
        assertEquals(2 * 2432 + 19, buffers); // running mean+var of 2432 BN channels, 19 BatchNorm counters
    }

    @Test
    void textTowerForward() {
        Map<String, INDArray> seen = new HashMap<>();
        model.setProbe((k, v) -> seen.put("debug." + k, v.dup('c')));
        INDArray ft;
        try {
            ft = model.encodeText(expected.array("text"));
        } finally {
            model.setProbe(null);
        }
        for (String name : new String[] {"debug.token_embedding", "debug.transformer.resblocks.0",
                "debug.transformer.resblocks.1", "debug.ln_final"}) {
            Fixtures.assertClose("rn_tiny " + name, seen.get(name), expected.floatArray(name), 1e-4);
        }
        Fixtures.assertClose("rn_tiny text_features", ft, expected.floatArray("text_features"), 1e-4);
    }

    @Test
    void textGradientsGivenReferenceImageFeatures() {
        model.zeroGrad();
        INDArray image = expected.floatArray("image_features");
        try (Tape tape = new Tape()) {
            INDArray text = model.text().forward(expected.array("text"), tape);
            try (ContrastiveLoss.Result r = ContrastiveLoss.forwardBackward(image, text, model.logitScale())) {
                double want = expected.floats("loss")[0];
                assertTrue(Math.abs(r.loss() - want) <= 1e-5 * Math.abs(want), "loss " + r.loss() + " vs " + want);
                model.text().backward(r.textGrad(), tape);
            }
        }
        Map<String, Parameter> byName = new HashMap<>();
        for (Parameter p : model.parameters()) byName.put(p.name(), p);
        int checked = 0;
        for (String name : expected.names()) {
            if (!name.startsWith("grad.") || name.startsWith("grad.visual.")) continue;
            Fixtures.assertClose("rn_tiny " + name, byName.get(name.substring(5)).grad(), expected.floatArray(name),
                    1e-3);
            checked++;
        }
        assertEquals(6, checked); // 5 text parameters + logit_scale
        model.zeroGrad();
    }
}
