package org.clip4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.clip4j.core.ClipException;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.core.safetensors.SafetensorsWriter;
import org.clip4j.encoders.ClipModel;
import org.clip4j.train.optim.LossScaler;
import org.clip4j.train.optim.Optimizer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Training checkpoints in a folder, one sub-folder per step: {@code step-00000120/} holding
 * <ul>
 *   <li>{@code model.safetensors}: the weights with OpenAI names and the config in metadata (what
 *       {@link ClipModel#load} and {@code clip embed --model} read);</li>
 *   <li>{@code optimizer.safetensors}: the optimiser state by parameter name, step count in metadata;</li>
 *   <li>{@code trainer.json}: {@link TrainingState} (step, data position, seed, provenance, the fp16 loss
 *       scaler's state).</li>
 * </ul>
 * A checkpoint is written into a temporary sibling folder and renamed into place only when complete, so a crash
 * (even SIGKILL) never leaves a partial checkpoint under a real name; older ones beyond {@code keepLast} are
 * deleted only after the new one is in place.
 */
public final class CheckpointStore {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
    private static final Pattern NAME = Pattern.compile("step-(\\d{8,})");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final int keepLast;

    public CheckpointStore(Path dir, int keepLast) {
        if (keepLast < 1) throw new IllegalArgumentException("keep-last " + keepLast + ": expected >= 1");
        this.dir = dir;
        this.keepLast = keepLast;
    }

    public Path dir() {
        return dir;
    }

    /** Writes a checkpoint of step {@code state.step()} atomically; returns its folder. */
    public Path save(ClipModel model, Optimizer optimizer, TrainingState state) {
        try {
            Files.createDirectories(dir);
            removeStaleTemporaries(); // left by a run killed while writing
            Path target = dir.resolve(String.format("step-%08d", state.step()));
            Path tmp = Files.createTempDirectory(dir, ".tmp-step-" + state.step() + "-");
            model.save(tmp.resolve("model.safetensors"));
            SafetensorsWriter w = new SafetensorsWriter().metadata("steps", Long.toString(optimizer.steps()))
                    .metadata("optimizer", optimizer.getClass().getSimpleName());
            for (Map.Entry<String, INDArray> e : optimizer.state().entrySet()) w.put(e.getKey(), e.getValue());
            w.write(tmp.resolve("optimizer.safetensors"));
            Files.writeString(tmp.resolve("trainer.json"), toJson(state));
            if (Files.exists(target)) deleteTree(target); // same step written again (e.g. final save)
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target);
            }
            prune();
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint to " + dir, e);
        }
    }

    /** Complete checkpoints, oldest first. */
    public List<Path> list() {
        if (!Files.isDirectory(dir)) return List.of();
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> NAME.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p.resolve("trainer.json")))
                    .sorted(Comparator.comparingLong(CheckpointStore::stepOf)).forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
        return out;
    }

    /** The newest complete checkpoint, if any. */
    public Optional<Path> latest() {
        List<Path> all = list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** {@code "latest"} or a checkpoint folder path → the folder; a clear error if there is none. */
    public Path resolve(String spec) {
        if (spec.equals("latest")) {
            return latest().orElseThrow(() -> new ClipException(dir + ": no checkpoint to resume from (--resume latest)"));
        }
        Path p = Path.of(spec);
        if (!Files.isRegularFile(p.resolve("trainer.json"))) {
            throw new ClipException(p + ": not a checkpoint folder (expected trainer.json, model.safetensors, optimizer.safetensors)");
        }
        return p;
    }

    static long stepOf(Path p) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    /** Reads trainer.json of a checkpoint folder. */
    public static TrainingState readState(Path checkpoint) {
        Path f = checkpoint.resolve("trainer.json");
        try {
            JsonNode n = JSON.readTree(f.toFile());
            Map<String, String> prov = new LinkedHashMap<>();
            n.path("provenance").fields().forEachRemaining(e -> prov.put(e.getKey(), e.getValue().asText()));
            for (String k : new String[]{"step", "samples_seen", "data_position", "skipped", "seed", "last_loss"}) {
                if (!n.has(k)) throw new ClipException(f + ": missing field '" + k + "'");
            }
            LossScaler.State scaler = null;
            JsonNode ls = n.get("loss_scaler");
            if (ls != null) {
                if (!ls.has("scale") || !ls.has("growth_tracker")) {
                    throw new ClipException(f + ": 'loss_scaler' needs 'scale' and 'growth_tracker'");
                }
                scaler = new LossScaler.State(ls.get("scale").asDouble(), ls.get("growth_tracker").asInt());
            }
            return new TrainingState(n.get("step").asLong(), n.get("samples_seen").asLong(), n.get("data_position").asLong(),
                    n.get("skipped").asLong(), n.get("seed").asLong(), n.get("last_loss").asDouble(), prov, scaler);
        } catch (IOException e) {
            throw new ClipException(f + ": cannot read trainer state: " + e.getMessage(), e);
        }
    }

    /** Restores the optimiser state of a checkpoint folder into {@code optimizer}. */
    public static void loadOptimizer(Path checkpoint, Optimizer optimizer) {
        try (SafetensorsFile f = SafetensorsFile.open(checkpoint.resolve("optimizer.safetensors"))) {
            Map<String, INDArray> state = new LinkedHashMap<>();
            for (String n : f.names()) state.put(n, f.floatArray(n));
            String steps = f.metadata().get("steps");
            if (steps == null) throw new ClipException(f.path() + ": missing 'steps' in __metadata__");
            optimizer.loadState(state, Long.parseLong(steps));
            state.values().forEach(INDArray::close);
        }
    }

    private static String toJson(TrainingState s) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("step", s.step());
        n.put("samples_seen", s.samplesSeen());
        n.put("data_position", s.dataPosition());
        n.put("skipped", s.skipped());
        n.put("seed", s.seed());
        n.put("last_loss", s.lastLoss());
        if (s.lossScaler() != null) {
            ObjectNode ls = n.putObject("loss_scaler");
            ls.put("scale", s.lossScaler().scale());
            ls.put("growth_tracker", s.lossScaler().growthTracker());
        }
        ObjectNode p = n.putObject("provenance");
        s.provenance().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> p.put(e.getKey(), e.getValue()));
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
    }

    private void prune() throws IOException {
        List<Path> all = list();
        for (int i = 0; i < all.size() - keepLast; i++) {
            LOG.debug("removing old checkpoint {}", all.get(i));
            deleteTree(all.get(i));
        }
    }

    private void removeStaleTemporaries() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(q -> q.getFileName().toString().startsWith(".tmp-step-")).toList()) deleteTree(p);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
