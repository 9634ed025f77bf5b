package org.clip4j.train;

import org.clip4j.train.optim.AdamWConfig;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.nn.Parameter;
import org.clip4j.encoders.ClipModel;
import org.clip4j.train.data.SyntheticShapes;
import org.clip4j.train.data.SyntheticSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

class TowerLockTest {
    static ClipConfig vit2() {
        return ClipConfig.fromJson("{\"embed_dim\":16,\"quick_gelu\":true,"
                + "\"vision_cfg\":{\"image_size\":32,\"layers\":2,\"width\":32,\"patch_size\":8,\"head_width\":16},"
                + "\"text_cfg\":{\"context_length\":16,\"vocab_size\":49408,\"width\":32,\"heads\":2,\"layers\":2}}");
    }

    static ClipConfig resnet() {
        return ClipConfig.fromJson("{\"embed_dim\":16,"
                + "\"vision_cfg\":{\"image_size\":32,\"layers\":[1,1,1,1],\"width\":8,\"head_width\":16},"
                + "\"text_cfg\":{\"context_length\":16,\"vocab_size\":49408,\"width\":32,\"heads\":2,\"layers\":1}}");
    }

    /** Trainable names of the model minus the frozen ones, restricted to a prefix test. */
    private static Set<String> trainedVisual(ClipModel m, TowerLock lock) {
        Set<String> frozen = lock.frozen(m);
        return m.parameters().stream().map(Parameter::name).filter(n -> n.startsWith("visual.") && !frozen.contains(n))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void vitGroupsFollowOpenClip() {
        try (ClipModel m = ClipModel.create(vit2(), 1)) {
            assertEquals(4, TowerLock.imageGroupCount(m));
            assertEquals(Set.of(), trainedVisual(m, new TowerLock(true, 0, false, false, 0)));
            assertEquals(Set.of("visual.proj"), trainedVisual(m, new TowerLock(true, 1, false, false, 0)));
            Set<String> two = trainedVisual(m, new TowerLock(true, 2, false, false, 0));
            assertTrue(two.containsAll(Set.of("visual.proj", "visual.ln_post.weight", "visual.ln_post.bias",
                    "visual.transformer.resblocks.1.attn.in_proj_weight", "visual.transformer.resblocks.1.mlp.c_proj.bias")), two.toString());
            assertTrue(two.stream().noneMatch(n -> n.contains("resblocks.0.")), two.toString());
            Set<String> three = trainedVisual(m, new TowerLock(true, 3, false, false, 0));
            assertTrue(three.contains("visual.transformer.resblocks.0.ln_1.weight"));
            assertFalse(three.contains("visual.conv1.weight") || three.contains("visual.class_embedding")
                    || three.contains("visual.positional_embedding") || three.contains("visual.ln_pre.weight"));
            // all groups unlocked = nothing frozen; the text tower and logit_scale are untouched by an image lock
            assertEquals(Set.of(), new TowerLock(true, 4, false, false, 0).frozen(m));
            assertTrue(new TowerLock(true, 0, false, false, 0).frozen(m).stream().allMatch(n -> n.startsWith("visual.")));
        }
    }

    @Test
    void resnetAndTextGroups() {
        try (ClipModel m = ClipModel.create(resnet(), 1)) {
            assertEquals(6, TowerLock.imageGroupCount(m));
            Set<String> one = trainedVisual(m, new TowerLock(true, 1, false, false, 0));
            assertFalse(one.isEmpty());
            assertTrue(one.stream().allMatch(n -> n.startsWith("visual.attnpool.")), one.toString());
            Set<String> two = trainedVisual(m, new TowerLock(true, 2, false, false, 0));
            assertTrue(two.stream().allMatch(n -> n.startsWith("visual.attnpool.") || n.startsWith("visual.layer4.")), two.toString());
            assertTrue(two.contains("visual.layer4.0.bn3.weight"));
            Set<String> five = trainedVisual(m, new TowerLock(true, 5, false, false, 0));
            assertTrue(five.contains("visual.layer1.0.conv1.weight"));
            assertFalse(five.contains("visual.conv1.weight") || five.contains("visual.bn3.bias"));

            // text: one layer → groups [embeddings], [resblocks.0, ln_final], [text_projection]
            Set<String> textFrozen = new TowerLock(false, 0, false, true, 1).frozen(m);
            assertTrue(textFrozen.containsAll(Set.of("token_embedding.weight", "positional_embedding", "ln_final.weight",
                    "transformer.resblocks.0.attn.in_proj_weight")), textFrozen.toString());
            assertFalse(textFrozen.contains("text_projection") || textFrozen.contains("logit_scale"));
            assertFalse(textFrozen.stream().anyMatch(n -> n.startsWith("visual.")));
        }
    }

    @Test
    void optionsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new TowerLock(false, 1, false, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new TowerLock(false, 0, true, false, 0));
        assertThrows(IllegalArgumentException.class, () -> new TowerLock(false, 0, false, false, 2));
        assertThrows(IllegalArgumentException.class, () -> new TowerLock(true, -1, false, false, 0));
    }

    @Test
    void skippingAFrozenTowersBackwardLeavesTheOtherGradientsExact() {
        try (ClipModel full = ClipModel.create(vit2(), 5); ClipModel part = ClipModel.create(vit2(), 5)) {
            INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 4, 3, 32, 32);
            INDArray ids = Nd4j.createFromArray(new long[][]{{49406, 320, 1929, 49407, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                    {49406, 320, 1449, 530, 49407, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                    {49406, 1746, 49407, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                    {49406, 320, 320, 320, 320, 49407, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}});
            full.zeroGrad();
            part.zeroGrad();
            double a = full.forwardBackward(x, ids);
            double b = part.forwardBackward(x, ids, false, true);
            assertEquals(a, b, 0.0);
            for (int i = 0; i < full.parameters().size(); i++) {
                Parameter p = full.parameters().get(i), q = part.parameters().get(i);
                if (p.name().startsWith("visual.")) {
                    assertEquals(0.0, q.grad().norm2Number().doubleValue(), 0.0, p.name());
                    assertTrue(p.grad().norm2Number().doubleValue() > 0, p.name());
                } else {
                    assertEquals(p.grad(), q.grad(), p.name());
                }
            }
            x.close();
            ids.close();
        }
    }

    private static Map<String, INDArray> snapshot(ClipModel m) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Parameter p : m.stateDict()) out.put(p.name(), p.value().dup());
        return out;
    }

    private static ClipModel trainLocked(ClipConfig cfg, Trainer.Builder lock, int steps) {
        return lock.model(cfg).data(new SyntheticSource(SyntheticShapes.training(3, 32), 64)).batchSize(8).steps(steps)
                .optimizer(AdamWConfig.of(1e-2, 0.2)).seed(2).dataThreads(1).build().run().model();
    }

    @Test
    void lockedImageTowerStaysBitIdenticalWhileTheTextTowerLearns() {
        Map<String, INDArray> before;
        try (ClipModel init = ClipModel.create(vit2(), 2)) {
            before = snapshot(init);
        }
        try (ClipModel m = trainLocked(vit2(), Trainer.builder().lockImage(true).lockImageUnlockedGroups(1).accumFreq(2), 2)) {
            for (Parameter p : m.stateDict()) {
                boolean same = p.value().equals(before.get(p.name()));
                boolean shouldChange = !p.name().startsWith("visual.") || p.name().equals("visual.proj");
                assertEquals(!shouldChange, same, p.name());
            }
        }
        before.values().forEach(INDArray::close);
    }

    @Test
    void freezeBnStatsKeepsTheRunningStatisticsOfTheLockedResNet() {
        Map<String, INDArray> before;
        try (ClipModel init = ClipModel.create(resnet(), 2)) {
            before = snapshot(init);
        }
        List<String> stats = List.of("visual.bn1.running_mean", "visual.layer2.0.bn2.running_var", "visual.layer4.0.downsample.1.running_mean");
        try (ClipModel frozen = trainLocked(resnet(), Trainer.builder().lockImage(true).lockImageFreezeBnStats(true), 2);
             ClipModel moving = trainLocked(resnet(), Trainer.builder().lockImage(true), 2)) {
            Map<String, INDArray> f = snapshot(frozen), mv = snapshot(moving);
            for (String s : stats) {
                assertEquals(before.get(s), f.get(s), s + " with frozen statistics");
                assertNotEquals(before.get(s), mv.get(s), s + " without freezing (train mode updates it)");
            }
            // weights of the locked tower never move either way
            assertEquals(before.get("visual.layer1.0.conv2.weight"), mv.get("visual.layer1.0.conv2.weight"));
            assertNotEquals(before.get("text_projection"), f.get("text_projection"));
            f.values().forEach(INDArray::close);
            mv.values().forEach(INDArray::close);
        }
        before.values().forEach(INDArray::close);
    }
}
