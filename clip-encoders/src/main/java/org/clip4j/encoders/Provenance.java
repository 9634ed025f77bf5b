package org.clip4j.encoders;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.clip4j.core.ClipException;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * How a model was made (the idea of Tribuo's provenance: every model file says where it came from). The
 * {@code Trainer} fills it in; {@link ClipModel#save} writes it into the safetensors {@code __metadata__} under the
 * key {@value #METADATA_KEY} as one flat JSON object ({@link #toJson()}), and {@link ClipModel#load} reads it back
 * ({@link ClipModel#provenance()} is empty for files without it, such as OpenAI's or OpenCLIP's checkpoints). A
 * checkpoint's {@code trainer.json} holds the same object under {@code "provenance"}.
 *
 * <p>The JSON keys are the snake_case forms of the components ({@code clip4j}, {@code model}, {@code init},
 * {@code data}, {@code steps}, {@code total_steps}, {@code seed}, {@code global_batch}, {@code micro_batch},
 * {@code world_size}, {@code optimizer}, {@code schedule}, {@code grad_clip}, {@code lock}, {@code augment},
 * {@code precision}, {@code started}, {@code java}, {@code nd4j}); numbers are JSON numbers, {@code started} an
 * ISO-8601 instant. The text components are descriptions for people, not settings to parse.
 *
 * @param clip4j      clip4j version that trained the model ({@code "development"} outside a release jar)
 * @param model       the architecture: the built-in config's name (e.g. {@code ViT-B-32}), or {@code custom}
 * @param init        the weights training started from: a path, or {@code random (reference initialisation)}
 * @param data        the training data's description (a manifest path, shard pattern, synthetic source)
 * @param steps       optimiser steps done when the file was written
 * @param totalSteps  optimiser steps the run was set up for
 * @param seed        the run's seed (model initialisation, data order, augmentation)
 * @param globalBatch samples per optimiser step (over all ranks)
 * @param microBatch  samples per forward pass on one rank (global batch / accumulation / ranks)
 * @param worldSize   data-parallel ranks (1: one process)
 * @param optimizer   the optimiser and its settings, e.g. {@code AdamW lr 0.0005, betas (0.9, 0.98), eps 1e-06, weight decay 0.2}
 * @param schedule    the learning-rate schedule, e.g. {@code cosine, warmup 100 steps}
 * @param gradClip    global-norm gradient clipping (0: none)
 * @param lock        the locked towers ({@code none} when both train)
 * @param augment     the training augmentation ({@code none (evaluation transform)} without)
 * @param precision   {@code fp32}, or the mixed-precision mode and what stays float32
 * @param started     when the run started (kept by a resumed run)
 * @param java        the Java version that trained
 * @param nd4j        the ND4J version
 */
public record Provenance(String clip4j, String model, String init, String data, long steps, long totalSteps, long seed,
                         int globalBatch, int microBatch, int worldSize, String optimizer, String schedule, double gradClip,
                         String lock, String augment, String precision, Instant started, String java, String nd4j) {
    /** The safetensors {@code __metadata__} key holding the JSON object. */
    public static final String METADATA_KEY = "clip4j_provenance";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Checks every component; all problems in one {@link IllegalArgumentException}. */
    public Provenance {
        List<String> problems = new ArrayList<>();
        String[][] texts = {{"clip4j", clip4j}, {"model", model}, {"init", init}, {"data", data},
                {"optimizer", optimizer}, {"schedule", schedule}, {"lock", lock}, {"augment", augment},
                {"precision", precision}, {"java", java}, {"nd4j", nd4j}};
        for (String[] t : texts) if (t[1] == null) problems.add("Provenance." + t[0] + ": expected a text, got null");
        if (started == null) problems.add("Provenance.started: expected an instant, got null");
        if (steps < 0) problems.add("Provenance.steps " + steps + ": expected >= 0");
        if (totalSteps < 0) problems.add("Provenance.totalSteps " + totalSteps + ": expected >= 0");
        if (globalBatch < 1) problems.add("Provenance.globalBatch " + globalBatch + ": expected >= 1");
        if (microBatch < 1) problems.add("Provenance.microBatch " + microBatch + ": expected >= 1");
        if (worldSize < 1) problems.add("Provenance.worldSize " + worldSize + ": expected >= 1");
        if (!(gradClip >= 0) || Double.isInfinite(gradClip)) {
            problems.add("Provenance.gradClip " + gradClip + ": expected a finite number >= 0");
        }
        if (!problems.isEmpty()) throw new IllegalArgumentException(String.join("; ", problems));
    }

    /** The same provenance after {@code n} optimiser steps (a checkpoint, a resumed run's later files). */
    public Provenance withSteps(long n) {
        return new Provenance(clip4j, model, init, data, n, totalSteps, seed, globalBatch, microBatch, worldSize, optimizer,
                schedule, gradClip, lock, augment, precision, started, java, nd4j);
    }

    /** The flat JSON object (keys in component order). */
    public ObjectNode toJsonNode() {
        ObjectNode n = JSON.createObjectNode();
        n.put("clip4j", clip4j);
        n.put("model", model);
        n.put("init", init);
        n.put("data", data);
        n.put("steps", steps);
        n.put("total_steps", totalSteps);
        n.put("seed", seed);
        n.put("global_batch", globalBatch);
        n.put("micro_batch", microBatch);
        n.put("world_size", worldSize);
        n.put("optimizer", optimizer);
        n.put("schedule", schedule);
        n.put("grad_clip", gradClip);
        n.put("lock", lock);
        n.put("augment", augment);
        n.put("precision", precision);
        n.put("started", started.toString());
        n.put("java", java);
        n.put("nd4j", nd4j);
        return n;
    }

    /** {@link #toJsonNode()} as one line of JSON (the {@code __metadata__} value). */
    public String toJson() {
        return toJsonNode().toString();
    }

    /**
     * Reads {@link #toJson()}'s form. {@code source} names the file (and key) for messages; every missing or
     * mistyped field is reported at once.
     */
    public static Provenance fromJson(String json, String source) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new ClipException(source + ": provenance is not valid JSON: " + e.getOriginalMessage());
        }
        return fromJsonNode(n, source);
    }

    /** As {@link #fromJson(String, String)} for a parsed object. */
    public static Provenance fromJsonNode(JsonNode n, String source) {
        if (n == null || !n.isObject()) throw new ClipException(source + ": provenance: expected a JSON object");
        Reader r = new Reader(n, source);
        Provenance p;
        try {
            p = new Provenance(r.text("clip4j"), r.text("model"), r.text("init"), r.text("data"), r.integer("steps"),
                    r.integer("total_steps"), r.integer("seed"), (int) r.integer("global_batch"), (int) r.integer("micro_batch"),
                    (int) r.integer("world_size"), r.text("optimizer"), r.text("schedule"), r.number("grad_clip"),
                    r.text("lock"), r.text("augment"), r.text("precision"), r.instant("started"), r.text("java"), r.text("nd4j"));
        } catch (IllegalArgumentException e) {
            if (!r.problems.isEmpty()) throw r.failure();
            throw new ClipException(source + ": provenance: " + e.getMessage());
        }
        if (!r.problems.isEmpty()) throw r.failure();
        return p;
    }

    /** Reads fields, collecting what is missing or mistyped. */
    private static final class Reader {
        private final JsonNode n;
        private final String source;
        private final List<String> problems = new ArrayList<>();

        Reader(JsonNode n, String source) {
            this.n = n;
            this.source = source;
        }

        String text(String key) {
            JsonNode v = n.get(key);
            if (v == null || !v.isTextual()) {
                problems.add("'" + key + "' " + (v == null ? "missing" : "is not a text"));
                return "";
            }
            return v.asText();
        }

        long integer(String key) {
            JsonNode v = n.get(key);
            if (v == null || !v.canConvertToLong() || !v.isIntegralNumber()) {
                problems.add("'" + key + "' " + (v == null ? "missing" : "is not an integer"));
                return 1;
            }
            return v.asLong();
        }

        double number(String key) {
            JsonNode v = n.get(key);
            if (v == null || !v.isNumber()) {
                problems.add("'" + key + "' " + (v == null ? "missing" : "is not a number"));
                return 0;
            }
            return v.asDouble();
        }

        Instant instant(String key) {
            String t = text(key);
            if (t.isEmpty()) return Instant.EPOCH;
            try {
                return Instant.parse(t);
            } catch (DateTimeParseException e) {
                problems.add("'" + key + "' " + t + " is not an ISO-8601 instant");
                return Instant.EPOCH;
            }
        }

        ClipException failure() {
            return new ClipException(source + ": provenance: " + String.join(", ", problems));
        }
    }
}
