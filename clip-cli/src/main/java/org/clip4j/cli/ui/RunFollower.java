package org.clip4j.cli.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Follows one run folder as the trainer writes it: the complete lines of {@code metrics.jsonl} (a last line
 * without its newline is still being written and is read on a later poll) and the {@code trainer.json} of the
 * newest {@code step-*} checkpoint (config and provenance). A file that shrank was started afresh
 * ({@code clip train} without {@code --resume} truncates it): the records start again and {@link #generation()}
 * counts up. Thread-safe; {@link #poll()} is called by one watcher thread, the getters by the request threads.
 */
public final class RunFollower {
    private static final Pattern CHECKPOINT = Pattern.compile("step-\\d+");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_PROBLEMS = 20;

    private final Path dir;
    private final String name;
    private final List<String> records = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private long offset;
    private long lineNumber;
    private int generation;
    private String checkpointName;
    private String trainerJson;
    private int version;

    /** Follows {@code dir}, shown as {@code name}; nothing is read before the first {@link #poll()}. */
    public RunFollower(Path dir, String name) {
        this.dir = dir;
        this.name = name;
    }

    /** The run folder. */
    public Path dir() {
        return dir;
    }

    /** The run's name on the page (its folder name, made unique). */
    public String name() {
        return name;
    }

    /**
     * Reads what was appended since the last poll; returns true if anything changed (new records, a new
     * checkpoint's {@code trainer.json}, a restart, a new problem).
     */
    public synchronized boolean poll() {
        int before = version;
        readMetrics();
        readTrainerJson();
        return version != before;
    }

    private void readMetrics() {
        Path f = dir.resolve("metrics.jsonl");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < offset) { // truncated: a fresh run in the same folder
                records.clear();
                offset = 0;
                lineNumber = 0;
                generation++;
                version++;
            }
            if (size == offset) return;
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(size - offset, 1 << 20));
            byte[] pending = new byte[0];
            long pos = offset;
            while (pos < size) {
                buf.clear();
                if (buf.remaining() > size - pos) buf.limit((int) (size - pos));
                int n = ch.read(buf, pos);
                if (n <= 0) break;
                pos += n;
                // lines may span chunks: keep the unfinished tail for the next chunk
                byte[] chunk = new byte[pending.length + n];
                System.arraycopy(pending, 0, chunk, 0, pending.length);
                System.arraycopy(buf.array(), 0, chunk, pending.length, n);
                int start = 0;
                for (int i = 0; i < chunk.length; i++) {
                    if (chunk[i] != '\n') continue;
                    accept(new String(chunk, start, i - start, StandardCharsets.UTF_8));
                    offset += i - start + 1;
                    start = i + 1;
                }
                pending = java.util.Arrays.copyOfRange(chunk, start, chunk.length);
            }
            // whatever is left after the last newline is a line being written: read again next time
        } catch (NoSuchFileException e) {
            // not written yet: a run that is starting
        } catch (IOException e) {
            problem("cannot read " + f + ": " + e.getMessage());
        }
    }

    private void accept(String line) {
        lineNumber++;
        if (line.isBlank()) return;
        try {
            JsonNode n = JSON.readTree(line);
            if (n == null || !n.isObject() || !n.path("step").isNumber()) {
                problem(dir.resolve("metrics.jsonl") + " line " + lineNumber + ": expected a JSON object with a \"step\"; skipped");
                return;
            }
            records.add(n.toString());
            version++;
        } catch (IOException e) {
            problem(dir.resolve("metrics.jsonl") + " line " + lineNumber + ": not JSON; skipped");
        }
    }

    private void readTrainerJson() {
        String newest = null;
        try (Stream<Path> s = Files.list(dir)) {
            newest = s.map(p -> p.getFileName().toString()).filter(n -> CHECKPOINT.matcher(n).matches())
                    .filter(n -> Files.isRegularFile(dir.resolve(n).resolve("trainer.json")))
                    .max(String::compareTo).orElse(null);
        } catch (IOException e) {
            return; // no folder yet
        }
        if (newest == null || newest.equals(checkpointName)) return;
        Path f = dir.resolve(newest).resolve("trainer.json");
        try {
            JsonNode n = JSON.readTree(Files.readString(f));
            if (n == null || !n.isObject()) throw new IOException("not a JSON object");
            trainerJson = n.toString();
            checkpointName = newest;
            version++;
        } catch (IOException e) {
            // a checkpoint is renamed into place complete, but keep-last may delete it while we read: try again
            if (Files.isRegularFile(f)) {
                problem(f + ": " + e.getMessage());
                checkpointName = newest;
            }
        }
    }

    private void problem(String p) {
        if (problems.size() < MAX_PROBLEMS && !problems.contains(p)) {
            problems.add(p);
            version++;
        }
    }

    /**
     * What a page that has {@code from} records of generation {@code generation} is missing, read atomically:
     * if the file was started afresh since, the slice starts again at record 0 of the new generation.
     */
    public synchronized Slice since(int generation, int from) {
        int start = generation == this.generation ? Math.min(from, records.size()) : 0;
        return new Slice(this.generation, start, List.copyOf(records.subList(start, records.size())), trainerJson,
                List.copyOf(problems));
    }

    /**
     * Part of a run for one client.
     *
     * @param generation  the file's generation
     * @param from        index of the first record in {@code records}
     * @param records     new records (JSON objects)
     * @param trainerJson the newest checkpoint's trainer.json, or null
     * @param problems    unreadable lines so far
     */
    public record Slice(int generation, int from, List<String> records, String trainerJson, List<String> problems) {
    }

    /** The records read so far, each one line of {@code metrics.jsonl} as a JSON object. */
    public synchronized List<String> records(int from) {
        return from >= records.size() ? List.of() : List.copyOf(records.subList(Math.max(0, from), records.size()));
    }

    /** How many records were read. */
    public synchronized int size() {
        return records.size();
    }

    /** Counts the times {@code metrics.jsonl} was found started afresh. */
    public synchronized int generation() {
        return generation;
    }

    /** Counts every change seen by {@link #poll()}. */
    public synchronized int version() {
        return version;
    }

    /** The newest checkpoint's {@code trainer.json} as compact JSON, or null before the first checkpoint. */
    public synchronized String trainerJson() {
        return trainerJson;
    }

    /** The newest checkpoint folder's name, or null. */
    public synchronized String checkpointName() {
        return checkpointName;
    }

    /** Lines that could not be read (at most 20), for the page. */
    public synchronized List<String> problems() {
        return List.copyOf(problems);
    }
}
