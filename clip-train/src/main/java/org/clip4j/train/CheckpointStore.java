package org.clip4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.clip4j.core.ClipException;
import org.clip4j.core.io.AtomicFile;
import org.clip4j.core.io.IoErrors;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.core.safetensors.SafetensorsWriter;
import org.clip4j.core.model.ClipConfig;
import org.clip4j.encoders.ClipModel;
import org.clip4j.encoders.Provenance;
import org.clip4j.train.optim.LossScaler;
import org.clip4j.train.optim.Optimizer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * A checkpoint is written into a temporary sibling folder, flushed to the device and renamed into place only when
 * complete ({@link AtomicFile#writeFolder}), so a crash (even SIGKILL) never leaves a partial checkpoint under a real
 * name; older ones beyond {@code keepLast} are
 * deleted only after the new one is in place, and never the one just written. {@code trainer.json} records the
 * SHA-256 of the two tensor files ({@code "checksums"}), which {@link #resolve} verifies: {@code latest} falls
 * back to the newest intact checkpoint. Writers take the folder's {@link CheckpointLock} first.
 */
public final class CheckpointStore {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
    private static final Pattern NAME = Pattern.compile("step-(\\d{8,})");
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String MODEL = "model.safetensors", OPTIMIZER = "optimizer.safetensors", STATE = "trainer.json";
    /** The files whose SHA-256 {@code trainer.json} records. */
    static final List<String> CHECKSUMMED = List.of(MODEL, OPTIMIZER);

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

    /**
     * Writes a checkpoint of step {@code state.step()} atomically; returns its folder. The SHA-256 of the model
     * and optimiser files goes into its {@code trainer.json}. On failure (a full disk, a read-only folder) the
     * temporary folder is removed and a {@link ClipException} names the folder and the reason.
     */
    public Path save(ClipModel model, Optimizer optimizer, TrainingState state) {
        Path target = dir.resolve(String.format("step-%08d", state.step()));
        try {
            Files.createDirectories(dir);
            removeStaleTemporaries(); // left by a run killed while writing
            // The same step written again (e.g. the final save) replaces the folder whole.
            AtomicFile.writeFolder(target, AtomicFile.IfExists.REPLACE, tmp -> {
                model.save(tmp.resolve(MODEL));
                SafetensorsWriter w = new SafetensorsWriter().metadata("steps", Long.toString(optimizer.steps()))
                        .metadata("optimizer", optimizer.getClass().getSimpleName())
                        .metadata("format", "clip4j optimizer state");
                for (Map.Entry<String, INDArray> e : optimizer.state().entrySet()) w.put(e.getKey(), e.getValue());
                w.write(tmp.resolve(OPTIMIZER));
                Map<String, String> sums = new LinkedHashMap<>();
                for (String f : CHECKSUMMED) sums.put(f, Checksums.sha256(tmp.resolve(f)));
                Files.writeString(tmp.resolve(STATE), toJson(state, sums));
            });
            prune(target);
            return target;
        } catch (IOException | UncheckedIOException e) {
            throw new ClipException(dir + ": cannot write checkpoint " + target.getFileName() + ": " + IoErrors.reason(e), e);
        }
    }

    /** Complete checkpoints, oldest first. */
    public List<Path> list() {
        List<Path> out = new ArrayList<>();
        for (Path p : stepFolders()) if (Files.isRegularFile(p.resolve(STATE))) out.add(p);
        return out;
    }

    /** Every {@code step-*} folder, complete or not, oldest first. */
    private List<Path> stepFolders() {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> NAME.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p))
                    .sorted(Comparator.comparingLong(CheckpointStore::stepOf)).toList();
        } catch (IOException e) {
            throw new ClipException(dir + ": cannot list: " + IoErrors.reason(e), e);
        }
    }

    /** The newest complete checkpoint, if any (not verified: see {@link #resolve}). */
    public Optional<Path> latest() {
        List<Path> all = list();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** True when the folder holds any {@code step-*} checkpoint folder (intact or not). */
    public boolean hasCheckpoints() {
        return !stepFolders().isEmpty();
    }

    /** The names of the {@code step-*} folders, for messages: "step-00000038 .. step-00000040 (3)". */
    public String describeCheckpoints() {
        List<Path> all = stepFolders();
        if (all.isEmpty()) return "none";
        String first = all.get(0).getFileName().toString(), last = all.get(all.size() - 1).getFileName().toString();
        return all.size() == 1 ? first : first + " .. " + last + " (" + all.size() + ")";
    }

    /**
     * Deletes every checkpoint, half-written checkpoint and {@code metrics.jsonl} of the folder: a new run that
     * was told to overwrite it ({@code --overwrite}). The caller holds the folder's {@link CheckpointLock}.
     */
    public void clear() {
        try {
            for (Path p : stepFolders()) deleteTree(p);
            if (Files.isDirectory(dir)) removeStaleTemporaries();
            Files.deleteIfExists(dir.resolve("metrics.jsonl"));
        } catch (IOException e) {
            throw new ClipException(dir + ": cannot delete the old checkpoints: " + IoErrors.reason(e), e);
        }
    }

    /**
     * {@code "latest"} or a checkpoint folder path → the folder, verified against its recorded checksums.
     * {@code "latest"} is the newest intact checkpoint: a damaged newer one is reported (WARN, naming it and what
     * is wrong) and skipped. Throws a {@link ClipException} when there is no checkpoint, when every one is damaged,
     * or when the named folder is damaged.
     */
    public Path resolve(String spec) {
        if (spec.equals("latest")) {
            List<Path> all = list();
            if (all.isEmpty()) {
                throw new ClipException(dir + ": no checkpoint to resume from (TrainConfig.resume latest)");
            }
            List<String> damaged = new ArrayList<>();
            for (int i = all.size() - 1; i >= 0; i--) {
                Path p = all.get(i);
                String problem = verify(p);
                if (problem == null) {
                    if (!damaged.isEmpty()) LOG.warn("resuming from {}, the newest intact checkpoint", p);
                    return p;
                }
                LOG.warn("checkpoint {} is damaged ({}); falling back to an older one", p, problem);
                damaged.add(p.getFileName() + ": " + problem);
            }
            throw new ClipException(dir + ": every checkpoint is damaged: " + String.join("; ", damaged));
        }
        Path p = Path.of(spec);
        if (!Files.isRegularFile(p.resolve(STATE))) {
            throw new ClipException(p + ": not a checkpoint folder (expected trainer.json, model.safetensors, optimizer.safetensors)");
        }
        String problem = verify(p);
        if (problem != null) throw new ClipException(p + ": damaged checkpoint: " + problem);
        return p;
    }

    /**
     * What is wrong with checkpoint folder {@code checkpoint}, or null when it is intact: its trainer.json must
     * parse, and each file with a checksum recorded there must exist and match it. Checkpoints written before
     * checksums were recorded are checked for their files only.
     */
    public static String verify(Path checkpoint) {
        Path state = checkpoint.resolve(STATE);
        JsonNode n;
        try {
            n = JSON.readTree(state.toFile());
            readState(checkpoint);
        } catch (IOException | RuntimeException e) {
            return STATE + " unreadable: " + e.getMessage();
        }
        JsonNode sums = n.path("checksums");
        for (String f : CHECKSUMMED) {
            Path file = checkpoint.resolve(f);
            if (!Files.isRegularFile(file)) return f + " missing";
            JsonNode want = sums.get(f);
            if (want == null) continue;
            try {
                String got = Checksums.sha256(file);
                if (!got.equals(want.asText())) {
                    return f + " does not match its SHA-256 in " + STATE + " (recorded " + abbreviate(want.asText())
                            + ", found " + abbreviate(got) + ")";
                }
            } catch (IOException e) {
                return f + " unreadable: " + IoErrors.reason(e);
            }
        }
        return null;
    }

    private static String abbreviate(String hex) {
        return hex.length() > 12 ? hex.substring(0, 12) + "…" : hex;
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
            for (String k : new String[]{"step", "samples_seen", "data_position", "skipped", "seed", "last_loss"}) {
                if (!n.has(k)) throw new ClipException(f + ": missing field '" + k + "'");
            }
            // The architecture: "config" (an object); before clip4j typed its provenance, a JSON text inside it.
            JsonNode prov = n.get("provenance");
            JsonNode cfg = n.has("config") ? n.get("config") : prov == null ? null : prov.get("config");
            if (cfg == null) throw new ClipException(f + ": missing field 'config'");
            ClipConfig config = ClipConfig.fromJson(cfg.isTextual() ? cfg.asText() : cfg.toString());
            Provenance provenance = prov == null || prov.has("config") ? null : Provenance.fromJsonNode(prov, f + " provenance");
            LossScaler.State scaler = null;
            JsonNode ls = n.get("loss_scaler");
            if (ls != null) {
                if (!ls.has("scale") || !ls.has("growth_tracker")) {
                    throw new ClipException(f + ": 'loss_scaler' needs 'scale' and 'growth_tracker'");
                }
                scaler = new LossScaler.State(ls.get("scale").asDouble(), ls.get("growth_tracker").asInt());
            }
            return new TrainingState(n.get("step").asLong(), n.get("samples_seen").asLong(), n.get("data_position").asLong(),
                    n.get("skipped").asLong(), n.get("seed").asLong(), n.get("last_loss").asDouble(), config, provenance, scaler);
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

    private static String toJson(TrainingState s, Map<String, String> checksums) throws IOException {
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
        ObjectNode sums = n.putObject("checksums");
        sums.put("algorithm", Checksums.ALGORITHM);
        checksums.forEach(sums::put);
        n.set("config", JSON.readTree(s.config().toJson()));
        if (s.provenance() != null) n.set("provenance", s.provenance().toJsonNode());
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
    }

    /** Keeps the {@code keepLast} newest checkpoints by step, and always {@code justWritten}. */
    private void prune(Path justWritten) throws IOException {
        List<Path> all = new ArrayList<>(list());
        all.remove(justWritten);
        for (int i = 0; i < all.size() - (keepLast - 1); i++) {
            LOG.debug("removing old checkpoint {}", all.get(i));
            deleteTree(all.get(i));
        }
    }

    /**
     * Deletes the temporary checkpoint folders of writers that were killed: {@link AtomicFile}'s
     * {@code .step-N.RANDOM.tmp}, and {@code .tmp-step-N-RANDOM} of clip4j versions before it.
     */
    private void removeStaleTemporaries() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(CheckpointStore::isStaleTemporary).toList()) deleteTree(p);
        }
    }

    static boolean isStaleTemporary(Path p) {
        String n = p.getFileName().toString();
        return n.startsWith(".tmp-step-") || n.startsWith(".step-") && AtomicFile.isTemporary(p);
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
