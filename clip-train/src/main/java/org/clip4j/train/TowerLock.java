package org.clip4j.train;

import org.clip4j.core.nn.BatchNorm2d;
import org.clip4j.core.nn.Parameter;
import org.clip4j.encoders.ClipModel;
import org.clip4j.encoders.ModifiedResNet;
import org.clip4j.train.optim.Checks;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Which parameters a run leaves untouched: LiT-style locking (Zhai et al. 2022; OpenCLIP's {@code --lock-image},
 * {@code --lock-image-unlocked-groups}, {@code --lock-image-freeze-bn-stats}, {@code --lock-text},
 * {@code --lock-text-unlocked-layers}).
 *
 * <p>A locked tower is cut into groups from input to output and its last {@code unlocked} groups stay
 * trainable. The groups follow OpenCLIP's {@code VisionTransformer.lock}:
 * <ul>
 *   <li>ViT: [conv1, class_embedding, positional_embedding, ln_pre], resblocks 0 … L−2 one group each,
 *       [resblocks L−1, ln_post], [proj] — L+2 groups;</li>
 *   <li>ModifiedResNet: [stem conv1–3 + bn1–3], layer1, layer2, layer3, layer4, attnpool — 6 groups (OpenCLIP
 *       refuses partial locking of a ResNet; here it is allowed with these groups);</li>
 *   <li>text: [token_embedding, positional_embedding], resblocks 0 … L−2, [resblocks L−1, ln_final],
 *       [text_projection] — L+2 groups.</li>
 * </ul>
 * With {@code freezeBnStats} the BatchNorm layers of the locked ResNet groups run on their running statistics
 * and never update them, as OpenCLIP's {@code freeze_batch_norm_2d}; otherwise a locked ResNet still updates its
 * running statistics in training, as a PyTorch module in {@code train()} mode with {@code requires_grad=False}.
 * {@code logit_scale} is never locked.
 *
 * @param image           lock the image tower
 * @param unlockedGroups  last groups of the image tower left trainable (0: all locked)
 * @param freezeBnStats   locked BatchNorm layers use and keep their running statistics
 * @param text            lock the text tower
 * @param unlockedLayers  last groups of the text tower left trainable (0: all locked)
 */
public record TowerLock(boolean image, int unlockedGroups, boolean freezeBnStats, boolean text, int unlockedLayers) {
    /** Nothing locked. */
    public static final TowerLock NONE = new TowerLock(false, 0, false, false, 0);

    public TowerLock {
        new Checks().atLeast("TowerLock.unlockedGroups", unlockedGroups, 0).atLeast("TowerLock.unlockedLayers", unlockedLayers, 0)
                .require(unlockedGroups <= 0 || image, "TowerLock.unlockedGroups " + unlockedGroups + ": needs TowerLock.image (the image tower locked)")
                .require(!freezeBnStats || image, "TowerLock.freezeBnStats: needs TowerLock.image (the image tower locked)")
                .require(unlockedLayers <= 0 || text, "TowerLock.unlockedLayers " + unlockedLayers + ": needs TowerLock.text (the text tower locked)")
                .throwIfAny();
    }

    /** Names of the trainable parameters of {@code model} that this lock freezes, in state-dict order. */
    public Set<String> frozen(ClipModel model) {
        Set<String> out = new LinkedHashSet<>();
        int imageGroups = imageGroupCount(model), textGroups = textGroupCount(model);
        for (Parameter p : model.parameters()) {
            String n = p.name();
            if (n.equals("logit_scale")) continue;
            if (n.startsWith("visual.")) {
                if (image && imageGroup(model, n) < imageGroups - unlockedGroups) out.add(n);
            } else if (text && textGroup(model, n) < textGroups - unlockedLayers) {
                out.add(n);
            }
        }
        return out;
    }

    /** Number of lockable groups of the image tower (see the class comment). */
    public static int imageGroupCount(ClipModel model) {
        return model.visual() instanceof ModifiedResNet ? 6 : model.config().vision().layers().get(0) + 2;
    }

    /** Number of lockable groups of the text tower. */
    public static int textGroupCount(ClipModel model) {
        return model.config().text().layers() + 2;
    }

    /** Group index of an image-tower parameter, 0 nearest the pixels. */
    static int imageGroup(ClipModel model, String name) {
        String n = name.substring("visual.".length());
        if (model.visual() instanceof ModifiedResNet) {
            if (n.startsWith("attnpool.")) return 5;
            for (int k = 1; k <= 4; k++) if (n.startsWith("layer" + k + ".")) return k;
            return 0; // stem: conv1..3, bn1..3
        }
        int layers = model.config().vision().layers().get(0);
        if (n.equals("proj")) return layers + 1;
        if (n.startsWith("ln_post.")) return layers;
        if (n.startsWith("transformer.resblocks.")) return 1 + Math.min(blockIndex(n), layers - 1);
        return 0; // conv1, class_embedding, positional_embedding, ln_pre
    }

    /** Group index of a text-tower parameter, 0 nearest the tokens. */
    static int textGroup(ClipModel model, String name) {
        int layers = model.config().text().layers();
        if (name.equals("text_projection")) return layers + 1;
        if (name.startsWith("ln_final.")) return layers;
        if (name.startsWith("transformer.resblocks.")) return 1 + Math.min(blockIndex(name), layers - 1);
        return 0; // token_embedding, positional_embedding
    }

    private static int blockIndex(String name) {
        String rest = name.substring(name.indexOf("resblocks.") + "resblocks.".length());
        return Integer.parseInt(rest.substring(0, rest.indexOf('.')));
    }

    /**
     * Puts the BatchNorm layers of the locked ResNet groups in inference mode when {@code freezeBnStats}; call after
     * {@code model.train(true)}. Returns how many layers were frozen.
     */
    public int applyBatchNormFreeze(ClipModel model) {
        if (!freezeBnStats || !(model.visual() instanceof ModifiedResNet r)) return 0;
        Set<String> frozen = frozen(model);
        int count = 0;
        for (BatchNorm2d bn : r.batchNorms()) {
            if (frozen.contains(bn.weight().name())) {
                bn.train(false);
                count++;
            }
        }
        return count;
    }

    /** True when no parameter of the image tower is trained. */
    public boolean imageFullyLocked() {
        return image && unlockedGroups == 0;
    }

    /** True when no parameter of the text tower is trained. */
    public boolean textFullyLocked() {
        return text && unlockedLayers == 0;
    }
}
