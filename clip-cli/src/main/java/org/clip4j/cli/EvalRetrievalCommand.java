package org.clip4j.cli;

import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.eval.RetrievalMetrics;
import org.clip4j.eval.Ties;
import org.clip4j.eval.data.CaptionDataset;
import org.clip4j.eval.data.DatasetSpec;
import org.clip4j.encoders.ClipModel;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;

/** {@code clip eval retrieval}: image→text and text→image recall@1/5/10, mean and median rank. */
@Command(name = "retrieval", mixinStandardHelpOptions = true,
        description = {"Image-text retrieval on a captioned manifest (csv:FILE, tsv:FILE with a path",
                "and a caption/text/title column, or openclipart:FILE; repeated paths give an",
                "image several captions): recall@1/5/10, mean and median rank both ways."})
final class EvalRetrievalCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(EvalRetrievalCommand.class);
    @Mixin
    ModelOption model = new ModelOption();

    @Option(names = "--dataset", paramLabel = "SPEC", required = true, description = "csv:FILE, tsv:FILE or openclipart:FILE.")
    String dataset;

    @Mixin
    EvalBatch batch = new EvalBatch();

    @Mixin
    EvalOutput out = new EvalOutput();

    @Option(names = "--ties", paramLabel = "MODE", defaultValue = "open_clip",
            description = {"How candidates with exactly the right answer's score rank: open_clip (as",
                    "torch.argsort(descending=True) orders them, like OpenCLIP's metrics), stable (in",
                    "index order) or pessimistic (all above it). Default: ${DEFAULT-VALUE}."})
    String ties;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        int batchSize = batch.size();
        Ties tieOrder;
        try {
            tieOrder = Ties.parse(ties);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--" + e.getMessage());
        }
        out.check(model.asInput());
        CaptionDataset all = DatasetSpec.parse(dataset).openCaptions();
        CaptionDataset data;
        Map<String, Double> metrics;
        try (ClipModel m = model.load()) {
            ModelInputs in = model.inputs(m);
            int r = m.visual().imageSize(), n = all.images().size();
            ImagePreprocessor pre = ImagePreprocessor.clip(r);
            EvalProgress ip = new EvalProgress(System.err, "retrieval");
            float[][] allImg = new float[n][];
            // Unreadable images are skipped with their captions and counted, as training skips them.
            Set<Integer> bad = ConcurrentHashMap.newKeySet();
            for (int s = 0; s < n; s += batchSize) {
                int b = Math.min(batchSize, n - s), s0 = s, px = 3 * r * r;
                float[] pixels = new float[b * px];
                IntStream.range(0, b).parallel().forEach(j -> {
                    try {
                        System.arraycopy(pre.apply(all.images().get(s0 + j)), 0, pixels, j * px, px);
                    } catch (RuntimeException e) {
                        if (bad.size() < 10) LOG.warn("skipping image {} and its captions: {}", all.images().get(s0 + j), e.getMessage());
                        bad.add(s0 + j); // its features are dropped below
                    }
                });
                try (INDArray x = Nd4j.create(pixels, new long[]{b, 3, r, r}, DataType.FLOAT); // [b, 3, R, R]
                     INDArray f = m.encodeImage(x)) {                                         // [b, E]
                    float[][] rows = f.toFloatMatrix();
                    System.arraycopy(rows, 0, allImg, s, b);
                }
                ip.update("images", s + b, n);
            }
            data = all.without(bad);
            float[][] img = new float[data.images().size()][];
            for (int i = 0, k = 0; i < n; i++) if (!bad.contains(i)) img[k++] = allImg[i];
            int t = data.captions().size();
            float[][] txt = new float[t][];
            for (int s = 0; s < t; s += batchSize) {
                List<String> chunk = data.captions().subList(s, Math.min(t, s + batchSize));
                try (INDArray ids = in.tokens(chunk, dataset); INDArray f = m.encodeText(ids)) { // [b, C] → [b, E]
                    float[][] rows = f.toFloatMatrix();
                    System.arraycopy(rows, 0, txt, s, rows.length);
                }
                ip.update("captions", Math.min(t, s + batchSize), t);
            }
            try (INDArray a = Nd4j.createFromArray(img); INDArray b = Nd4j.createFromArray(txt)) { // [n, E], [t, E]
                metrics = RetrievalMetrics.compute(a, b, data.textToImage(), tieOrder, 1, 5, 10);
            }
        }
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("task", "retrieval");
        res.put("model", model.path().toString());
        res.put("dataset", data.description());
        res.put("images", data.images().size());
        res.put("captions", data.captions().size());
        res.put("ties", tieOrder.cliName());
        res.put("skipped_rows", data.skippedRows());
        if (data.skippedRows() > 0) {
            System.err.println("clip: " + data.skippedRows() + " manifest rows skipped (unreadable image or empty caption)");
        }
        res.putAll(metrics);
        System.out.println(EvalReport.json(res));
        out.write("Retrieval: " + data.description(), res, null);
        return 0;
    }
}
