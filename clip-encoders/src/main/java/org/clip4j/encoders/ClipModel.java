package org.clip4j.encoders;

import org.clip4j.core.model.ClipConfig;
import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.nn.Activation;
import org.clip4j.core.nn.Init;
import org.clip4j.core.nn.Module;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Tape;
import org.clip4j.core.nn.Scope;
import org.clip4j.core.nn.Tensors;
import org.clip4j.core.safetensors.DType;
import org.clip4j.core.safetensors.SafetensorsWriter;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A CLIP model: an image encoder ({@link VisionTransformer} or {@link ModifiedResNet}), a {@link TextTransformer}
 * and the learned temperature {@code logit_scale}. Entries are named and ordered exactly as OpenAI's
 * {@code CLIP.state_dict()}.
 *
 * <p>Both towers are registered children, so {@link #setPrecision}, {@link #setProbe}, {@link #parameters()} and
 * {@link #zeroGrad()} reach every layer through the module tree; {@link #stateDict()} lists the entries in
 * OpenAI's interleaved order. A model trained by clip4j carries its {@link Provenance}, which {@link #save}
 * writes and {@link #load} reads back.
 *
 * <p>It lives in clip-encoders (not clip-core) because it builds the towers directly; clip-train and clip-eval
 * depend on this module. The model owns native memory: {@link #close()} releases it.
 */
public final class ClipModel extends Module implements AutoCloseable {
    private final ClipConfig config;
    private final DataType dataType;
    private final ImageEncoder visual;
    private final TextTransformer text;
    private final Parameter logitScale;
    private volatile Provenance provenance; // null: not known (a model made here, or a file without it)

    /** The structure only: parameters have shapes but no values until loaded or initialised. */
    ClipModel(ClipConfig config, DataType dataType) {
        super("");
        this.config = config;
        this.dataType = dataType;
        Activation act = Activation.of(config.quickGelu());
        this.text = new TextTransformer(config.text(), config.embedDim(), act);
        this.visual = config.vision().isResNet()
                ? new ModifiedResNet(config.vision(), config.embedDim())
                : new VisionTransformer(config.vision(), config.embedDim(), act);
        // Both towers are children: precision, probes and parameters reach every layer through the tree.
        // stateDict() below puts the entries in OpenAI's order.
        this.logitScale = param("logit_scale");
        child(visual);
        child(text);
    }

    /**
     * Every entry in the order of OpenAI's {@code CLIP.state_dict()}, which interleaves the towers: the text
     * tower's top-level {@code positional_embedding} and {@code text_projection}, then {@code logit_scale}, the
     * image tower ({@code visual.*}), and the rest of the text tower ({@code transformer.*},
     * {@code token_embedding.*}, {@code ln_final.*}).
     */
    @Override
    public List<Parameter> stateDict() {
        List<Parameter> textEntries = text.stateDict();
        // TextTransformer registers its two own tensors first; check rather than trust, the order is the file format
        if (textEntries.size() < 2 || textEntries.get(0) != text.positionalEmbedding()
                || textEntries.get(1) != text.textProjection()) {
            throw new IllegalStateException("TextTransformer no longer lists positional_embedding, text_projection first");
        }
        List<Parameter> out = new ArrayList<>(textEntries.size() + 256);
        out.addAll(textEntries.subList(0, 2));
        out.add(logitScale);
        out.addAll(visual.stateDict());
        out.addAll(textEntries.subList(2, textEntries.size()));
        return out;
    }

    /**
     * A new model with the reference initialisation ({@code initialize_parameters} of openai/CLIP plus
     * PyTorch's layer defaults), float32.
     */
    public static ClipModel create(ClipConfig config, long seed) {
        return create(config, seed, DataType.FLOAT);
    }

    /** As {@link #create(ClipConfig, long)} in FLOAT or DOUBLE. */
    public static ClipModel create(ClipConfig config, long seed, DataType type) {
        ClipModel m = new ClipModel(config, type);
        Init init = new Init(seed, type);
        m.text.initialize(init);
        m.visual.initialize(init);
        init.constant(m.logitScale, Math.log(1 / 0.07)); // CLIP's initial temperature 0.07
        return m;
    }

    /**
     * Loads a checkpoint in float32: a {@code .safetensors} file with OpenAI/OpenCLIP names; a PyTorch checkpoint
     * with those names, read without running any pickle code (OpenAI's TorchScript {@code ViT-B-32.pt},
     * {@code torch.save} state dicts, open_clip training checkpoints; fp16 weights widened exactly); an OpenCLIP
     * directory ({@code open_clip_config.json} + {@code open_clip_model.safetensors} or
     * {@code open_clip_pytorch_model.bin}) or a Hugging Face {@code CLIPModel} directory ({@code config.json} +
     * {@code model.safetensors} or {@code pytorch_model.bin}); see {@link CheckpointLoader}.
     */
    public static ClipModel load(Path safetensors) {
        return load(safetensors, DataType.FLOAT);
    }

    /** Loads a checkpoint, converting every floating tensor to {@code type} (FLOAT or DOUBLE). */
    public static ClipModel load(Path safetensors, DataType type) {
        return CheckpointLoader.load(safetensors, type, null);
    }

    /**
     * Loads a checkpoint in float32 with the given architecture instead of the one stored with the weights or
     * inferred from their shapes: for weights without a config whose architecture the shapes do not fix (an
     * open_clip training checkpoint of a model trained with exact GELU, a text width that is not a multiple of
     * 64). The tensors are checked against {@code config} as usual.
     */
    public static ClipModel load(Path checkpoint, ClipConfig config) {
        return CheckpointLoader.load(checkpoint, DataType.FLOAT, java.util.Objects.requireNonNull(config, "config"));
    }

    /** Trainable parameter count of a config, computed from shapes without allocating any weights. */
    public static long parameterCount(ClipConfig config) {
        return new ClipModel(config, DataType.FLOAT).parameterCount();
    }

    /**
     * Writes every state-dict entry with its OpenAI name, plus the config in {@code __metadata__}
     * ({@code open_clip_config}, OpenAI's {@code clip_config} fields, {@code transformer_heads},
     * {@code vision_heads}) and, when known, the {@link #provenance()} ({@value Provenance#METADATA_KEY}).
     * {@code load(save(m))} reproduces the model bit for bit, provenance included.
     */
    public void save(Path path) {
        save(path, null);
    }

    /**
     * As {@link #save(Path)}, with every floating-point entry stored as {@code floatType} (F32, F16 or BF16;
     * null keeps the model's own type): F16 keeps OpenAI's half-precision weights at half the size, rounding the
     * entries that were float32 (LayerNorm, embeddings...) to nearest even. BatchNorm counters stay I64.
     */
    public void save(Path path, DType floatType) {
        if (floatType != null && floatType != DType.F32 && floatType != DType.F16 && floatType != DType.BF16) {
            throw new IllegalArgumentException("weights are saved as F32, F16 or BF16, not " + floatType);
        }
        SafetensorsWriter w = new SafetensorsWriter();
        w.metadata("format", "pt");
        w.metadata("open_clip_config", config.toJson());
        w.metadata("clip_config", config.toOpenAiJson());
        w.metadata("transformer_heads", Integer.toString(config.text().heads()));
        w.metadata("vision_heads", Integer.toString(config.vision().heads()));
        Provenance prov = provenance;
        if (prov != null) w.metadata(Provenance.METADATA_KEY, prov.toJson());
        for (Parameter p : stateDict()) {
            INDArray v = p.value();
            if (floatType == null || !v.dataType().isFPType()) {
                w.put(p.name(), v);
            } else {
                w.putFloats(p.name(), floatType, v.shape(), v.dup('c').data().asFloat());
            }
        }
        try {
            w.write(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
    }

    /**
     * Writes this model as a Hugging Face {@code CLIPModel} directory ({@code config.json} +
     * {@code model.safetensors}; ViT image towers only). {@link #load} reads it back bit for bit.
     */
    public void exportHuggingFace(Path dir) {
        HuggingFaceExport.write(this, dir);
    }

    public ClipConfig config() {
        return config;
    }

    /**
     * How this model was made, when known: set by the {@code Trainer} and read back by {@link #load} from files
     * that {@link #save} wrote; empty for a new model and for checkpoints from elsewhere (OpenAI, OpenCLIP,
     * Hugging Face).
     */
    public Optional<Provenance> provenance() {
        return Optional.ofNullable(provenance);
    }

    /** Sets (or with null clears) the provenance that {@link #save} writes. */
    public void setProvenance(Provenance p) {
        this.provenance = p;
    }

    public DataType dataType() {
        return dataType;
    }

    public ImageEncoder visual() {
        return visual;
    }

    public TextTransformer text() {
        return text;
    }

    public Parameter logitScale() {
        return logitScale;
    }

    /**
     * BatchNorm mode of a ResNet image tower, as PyTorch's {@code model.train()} / {@code model.eval()}: true uses
     * batch statistics and updates the running statistics, false (the default, as the reference fixtures and
     * pretrained checkpoints are evaluated) uses the running statistics. A ViT has no BatchNorm: no effect.
     */
    public void train(boolean on) {
        if (visual instanceof ModifiedResNet r) r.train(on);
    }

    /**
     * Activation recompute ("gradient checkpointing") per residual block of the Transformer towers: training
     * keeps only block inputs and runs each block's forward again during backward (see
     * {@link org.clip4j.core.nn.Transformer}). Same gradients, about one extra forward pass, much less activation
     * memory. A ModifiedResNet image tower is not affected (only its attention pool is a transformer layer).
     * Do not switch it between a forward and its backward.
     */
    public void setActivationRecompute(boolean on) {
        if (visual instanceof VisionTransformer v) v.transformer().setRecompute(on);
        text.transformer().setRecompute(on);
    }

    /** Image features [N, E], not normalised (as the reference {@code encode_image}). */
    public INDArray encodeImage(INDArray images) {
        return visual.forward(images, null);
    }

    /**
     * Text features [N, E] for token ids [N, C], not normalised (as {@code encode_text}). Like every array these
     * methods return, a new array owned by the caller: by its {@link Scope} when one is open, otherwise by the
     * caller directly, who releases it with {@link Tensors#release}.
     */
    public INDArray encodeText(INDArray ids) {
        return text.forward(ids, null);
    }

    /** L2-normalised image features, a new array owned by the caller. */
    public INDArray encodeImageNormalized(INDArray images) {
        try (Scope s = Scope.open()) {
            INDArray f = encodeImage(images);            // [N, E], owned by s
            return s.ret(ContrastiveLoss.normalize(f));
        }
    }

    /** L2-normalised text features, a new array owned by the caller. */
    public INDArray encodeTextNormalized(INDArray ids) {
        try (Scope s = Scope.open()) {
            INDArray f = encodeText(ids);                // [N, E], owned by s
            return s.ret(ContrastiveLoss.normalize(f));
        }
    }

    /**
     * Both logit matrices, owned by the caller: inside a {@link Scope} that scope frees them (do not
     * {@link #close()} them there); outside any scope, {@link #close()} releases them.
     */
    public record Logits(INDArray perImage, INDArray perText) implements AutoCloseable {
        @Override
        public void close() {
            Tensors.release(perImage, perText);
        }
    }

    /** {@code model(images, texts)}: logits_per_image [N, M] and logits_per_text [M, N]. */
    public Logits logits(INDArray images, INDArray ids) {
        try (Scope s = Scope.open()) {
            INDArray img = encodeImage(images), txt = encodeText(ids);                // owned by s
            INDArray perImage = ContrastiveLoss.logits(img, txt, logitScale.value()); // [N, M]
            INDArray perText = s.track(perImage.transpose().dup('c'));               // [M, N]
            return new Logits(s.ret(perImage), s.ret(perText));
        }
    }

    /**
     * One training forward and backward on a batch of matching pairs: returns the contrastive loss and
     * accumulates ({@code +=}) the gradient of every parameter. Call {@link #zeroGrad()} between steps.
     * Every activation is released before returning.
     */
    public double forwardBackward(INDArray images, INDArray ids) {
        return forwardBackward(images, ids, true, true);
    }

    /**
     * As {@link #forwardBackward(INDArray, INDArray)}, skipping the backward pass of a tower whose parameters are
     * all frozen ({@code imageBackward} / {@code textBackward} false): its gradients are left as they are.
     * The forward still runs in training mode, so an unfrozen BatchNorm updates its running statistics.
     */
    public double forwardBackward(INDArray images, INDArray ids, boolean imageBackward, boolean textBackward) {
        return forwardBackward(images, ids, imageBackward, textBackward, 1.0);
    }

    /**
     * As {@link #forwardBackward(INDArray, INDArray, boolean, boolean)} with the loss gradient multiplied by
     * {@code gradScale} before backward (loss scaling for fp16): every gradient accumulated is scaled by it, the
     * returned loss is not.
     */
    public double forwardBackward(INDArray images, INDArray ids, boolean imageBackward, boolean textBackward,
                                  double gradScale) {
        // One tape per tower, so either backward can be skipped. The tapes close first (frames left after an
        // exception), then the scope frees the features, the loss's arrays and the inputs' gradients.
        try (Scope s = Scope.open(); Tape imageTape = new Tape(); Tape textTape = new Tape()) {
            INDArray img = visual.forward(images, imageTape);                   // [N, E], owned by s
            INDArray txt = text.forward(ids, textTape);
            ContrastiveLoss.Result r = ContrastiveLoss.forwardBackward(img, txt, logitScale, gradScale);
            s.release(img, txt, r.logitsPerImage());
            if (textBackward) text.backward(r.textGrad(), textTape);
            if (imageBackward) visual.backward(r.imageGrad(), imageTape);
            return r.loss();
        }
    }

    /** Releases every parameter value and gradient. */
    @Override
    public void close() {
        for (Parameter p : stateDict()) p.release();
    }
}
