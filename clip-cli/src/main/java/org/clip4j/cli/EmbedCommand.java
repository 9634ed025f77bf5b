package org.clip4j.cli;

import org.clip4j.core.model.ContrastiveLoss;
import org.clip4j.core.nn.Parameter;
import org.clip4j.core.nn.Tensors;
import org.clip4j.core.safetensors.SafetensorsWriter;
import org.clip4j.encoders.ClipModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code clip embed}: image and/or text features of a model, optionally the logits, the contrastive loss and its
 * gradient for every trainable parameter, written to one safetensors file with the reference names.
 */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = {"Encodes images and/or texts with a CLIP model into a safetensors file:",
                "  image_features [N,E], text_features [M,E] (not normalised);",
                "  with both sides: logits_per_image [N,M] and logits_per_text [M,N],",
                "    exp(logit_scale) * cosine similarity;",
                "  --loss: the symmetric contrastive loss 'loss' (F32 scalar, N = M pairs);",
                "  --gradients: also grad.<name> = d loss / d parameter for every",
                "    trainable parameter.",
                "Inference mode (BatchNorm uses its running statistics)."})
final class EmbedCommand implements Callable<Integer> {
    @Mixin
    ModelOption model = new ModelOption();

    @Option(names = "--images", paramLabel = "IMG", arity = "1..*",
            description = "Image files, preprocessed as the reference _transform(image size).")
    List<Path> images;

    @Option(names = "--texts-file", paramLabel = "F", description = "UTF-8 texts, one per line (tokenized, truncated to the context).")
    Path textsFile;

    @Option(names = "--pixel-values", paramLabel = "FILE.safetensors[#NAME]",
            description = "Preprocessed images F32 [N,3,R,R] (default tensor name pixel_values).")
    String pixelValues;

    @Option(names = "--tokens", paramLabel = "FILE.safetensors[#NAME]",
            description = "Token ids [M,C] (default tensor name input_ids).")
    String tokens;

    @Option(names = "--loss", description = "Also write the contrastive loss of the N matching (image, text) pairs.")
    boolean loss;

    @Option(names = "--gradients", description = "Also write grad.<name> for every trainable parameter (implies --loss).")
    boolean gradients;

    @Mixin
    OutputFile out = new OutputFile();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (images != null && pixelValues != null) usage("give --images or --pixel-values, not both");
        if (textsFile != null && tokens != null) usage("give --texts-file or --tokens, not both");
        boolean hasImages = images != null || pixelValues != null, hasTexts = textsFile != null || tokens != null;
        if (!hasImages && !hasTexts) usage("nothing to encode: give --images/--pixel-values and/or --texts-file/--tokens");
        boolean wantLoss = loss || gradients;
        if (wantLoss && !(hasImages && hasTexts)) usage("--loss and --gradients need both images and texts");
        Map<String, List<Path>> inputs = new LinkedHashMap<>();
        inputs.put("--model", List.of(model.path()));
        if (images != null) inputs.put("--images", images);
        if (textsFile != null) inputs.put("--texts-file", List.of(textsFile));
        if (pixelValues != null) inputs.put("--pixel-values", List.of(TensorRef.parse(pixelValues, "pixel_values").file()));
        if (tokens != null) inputs.put("--tokens", List.of(TensorRef.parse(tokens, "input_ids").file()));
        out.check(inputs);

        try (ClipModel m = model.load()) {
            ModelInputs in = model.inputs(m);
            INDArray px = !hasImages ? null : images != null ? in.images(images)
                    : in.pixelValues(TensorRef.parse(pixelValues, "pixel_values"));
            INDArray ids = !hasTexts ? null : textsFile != null ? in.texts(textsFile)
                    : in.tokenIds(TensorRef.parse(tokens, "input_ids"));
            if (wantLoss && px.size(0) != ids.size(0)) {
                throw new IllegalArgumentException("--loss needs matching pairs: " + px.size(0) + " images but "
                        + ids.size(0) + " texts");
            }
            SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt")
                    .metadata("producer", "clip4j embed").metadata("model", model.path().toString());
            INDArray img = px == null ? null : m.encodeImage(px);
            INDArray txt = ids == null ? null : m.encodeText(ids);
            if (img != null) w.put("image_features", img);
            if (txt != null) w.put("text_features", txt);
            if (img != null && txt != null) {
                INDArray perImage = ContrastiveLoss.logits(img, txt, m.logitScale().value());
                w.put("logits_per_image", perImage);
                w.put("logits_per_text", perImage.transpose());
                Tensors.release(perImage);
            }
            Tensors.release(img, txt);
            if (wantLoss) {
                m.zeroGrad();
                double l = m.forwardBackward(px, ids);
                w.putFloats("loss", new long[0], new float[] {(float) l});
                if (gradients) {
                    for (Parameter p : m.parameters()) {
                        INDArray g = p.grad(), g32 = g.dataType() == DataType.FLOAT ? g : g.castTo(DataType.FLOAT);
                        w.put("grad." + p.name(), g32); // copies the values to the heap
                        if (g32 != g) Tensors.release(g32);
                    }
                }
            }
            Tensors.release(px, ids);
            out.write(w);
            System.err.println("clip: wrote " + w.size() + " tensors to " + out.path());
        }
        return 0;
    }

    private void usage(String msg) {
        throw new CommandLine.ParameterException(spec.commandLine(), msg);
    }
}
