// clip4j notebook 3 of 6: text-to-image search over a folder of images with the model of notebook 1.
//
//   jshell --class-path "$(cat examples/classpath.txt)" examples/03-search.jsh
// Settings: CLIP4J_QUERY / clip4j.query (default "a large blue star"), CLIP4J_NOTEBOOKS_OUT / clip4j.notebooks.out.
// Renders 50 images into notebooks-out/gallery/ and ranks every image of that folder against the query.

import java.nio.file.*;
import java.util.*;
import javax.imageio.ImageIO;
import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.nn.Scope;
import org.clip4j.core.tokenizer.ClipTokenizer;
import org.clip4j.encoders.ClipModel;
import org.clip4j.train.data.SyntheticShapes;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

String setting(String property, String env, String fallback) {
    String v = System.getProperty(property);
    if (v == null || v.isBlank()) v = System.getenv(env);
    return v == null || v.isBlank() ? fallback : v.trim();
}

Path out = Path.of(setting("clip4j.notebooks.out", "CLIP4J_NOTEBOOKS_OUT", "notebooks-out"));
String query = setting("clip4j.query", "CLIP4J_QUERY", "a large blue star");
Path modelFile = out.resolve("tiny.safetensors");
if (!Files.isRegularFile(modelFile)) throw new IllegalStateException(modelFile + " not found: run 01-train-tiny.jsh first");
ClipModel model = ClipModel.load(modelFile);

// A gallery: 50 fresh renderings, named by index only (the search does not see their captions).
Path gallery = Files.createDirectories(out.resolve("gallery"));
SyntheticShapes shapes = SyntheticShapes.training(77, 32);
Map<String, String> renderedAs = new HashMap<>();   // file name -> caption, only to show what was found
for (int i = 0; i < 50; i++) {
    SyntheticShapes.Sample s = shapes.sample(i);
    String name = String.format("shape-%02d.png", i);
    ImageIO.write(s.image(), "png", gallery.resolve(name).toFile());
    renderedAs.put(name, s.caption());
}

// Every image of the folder, embedded in batches of 64 and L2-normalised: rows of a [n, E] matrix.
List<Path> files;
try (var listing = Files.list(gallery)) {
    files = listing.filter(p -> p.toString().matches("(?i).*\\.(png|jpe?g|bmp|gif|webp)")).sorted().toList();
}
ImagePreprocessor pre = ImagePreprocessor.clip(model.config().vision().imageSize());
// A Scope owns the arrays made inside it (the library's results land in it too) and releases them at its end.
double[] similarities;
try (Scope scope = Scope.open()) {
    INDArray[] chunks = new INDArray[(files.size() + 63) / 64];
    for (int c = 0; c < chunks.length; c++) {
        INDArray px = scope.track(pre.batch(files.subList(64 * c, Math.min(files.size(), 64 * c + 64))));
        chunks[c] = model.encodeImageNormalized(px);                                     // [≤ 64, E]
    }
    // (concatenating a single chunk would return that chunk itself)
    INDArray imageEmbeddings = chunks.length == 1 ? chunks[0] : scope.track(Nd4j.concat(0, chunks)); // [n, E]

    // The query through the text tower, normalised too; cosine similarity = dot product of unit vectors.
    INDArray ids = scope.track(ClipTokenizer.openai().tokenizeToArray(List.of(query), model.config().text().contextLength(), true));
    INDArray textEmbedding = model.encodeTextNormalized(ids);                            // [1, E]
    INDArray scores = scope.track(Nd4j.gemm(imageEmbeddings, textEmbedding, false, true)); // [n, 1]
    similarities = scores.data().asDouble();
}

List<Integer> ranked = new ArrayList<>();
for (int i = 0; i < files.size(); i++) ranked.add(i);
ranked.sort((a, b) -> Double.compare(similarities[b], similarities[a]));
System.out.printf("%d images of %s searched for \"%s\":%n", files.size(), gallery, query);
for (int r = 0; r < Math.min(5, ranked.size()); r++) {
    int i = ranked.get(r);
    String name = files.get(i).getFileName().toString();
    System.out.printf(Locale.ROOT, "%d. %s  cosine %.4f  (rendered as: %s)%n", r + 1, name, similarities[i],
            renderedAs.getOrDefault(name, "?"));
}

model.close();
/exit
