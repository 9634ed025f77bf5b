package org.clip4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.clip4j.core.ClipException;
import org.clip4j.core.tokenizer.ClipTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code clip tokenize}: one caption per input line, one JSON array of token ids per output line. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Tokenizes UTF-8 lines from standard input as clip.tokenize does:",
                "each output line is a JSON array [49406 (start), ids..., 49407 (end), 0 (padding)...]",
                "of exactly --context-length ids.",
                "Lines are read as Python reads a text file: \\n, \\r\\n and a bare \\r each end a line",
                "(so a \\r inside a caption splits it in two; use --jsonl for texts with line breaks).",
                "Invalid UTF-8 is replaced as bytes.decode(\"utf-8\", \"replace\") does, with a warning",
                "on standard error naming the line."})
final class TokenizeCommand implements Callable<Integer> {
    /** Lines tokenized per call (bounds memory on long inputs). */
    private static final int BATCH = 1024;
    /** Lines with invalid UTF-8 named one by one on standard error; later ones are only counted. */
    private static final int MAX_WARNINGS = 20;

    @Option(names = "--context-length", paramLabel = "N", defaultValue = "77",
            description = "Row length (default: ${DEFAULT-VALUE}).")
    int contextLength;

    @Option(names = "--no-truncate", description = "Fail on a text longer than the context instead of cutting it.")
    boolean noTruncate;

    @Option(names = "--jsonl", description = {"Each input line is a JSON string, e.g. \"line one\\nline two\",",
            "so texts with line breaks, NUL or other control characters can be given."})
    boolean jsonl;

    @Option(names = "--no-ftfy", description = {"Skip ftfy.fix_text (mojibake, curly quotes, ligatures, width,",
            "control characters, NFC) before the reference cleaning: faster, but text that ftfy",
            "changes gets other ids than the reference."})
    boolean noFtfy;

    @Option(names = "--vocab", paramLabel = "PATH",
            description = {"Vocabulary: a reference merges file (bpe_simple_vocab_16e6.txt.gz or .txt),",
                    "or a Hugging Face tokenizer folder / vocab.json with merges.txt beside it / tokenizer.json.",
                    "Default: the bundled OpenAI vocabulary."})
    Path vocab;

    private final ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    @Override
    public Integer call() throws IOException {
        if (contextLength < 2) throw new IllegalArgumentException("--context-length " + contextLength + ": expected at least 2");
        ClipTokenizer tok = loadTokenizer(vocab).withFtfy(!noFtfy);
        InputLines in = new InputLines(System.in);
        PrintStream err = System.err;
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)));
        List<String> batch = new ArrayList<>();
        long invalidLines = 0;
        for (String line; (line = in.next()) != null; ) {
            if (in.replacements() > 0) {
                invalidLines++;
                if (invalidLines <= MAX_WARNINGS) {
                    err.println("clip: warning: input line " + in.number() + " is not valid UTF-8: " + in.replacements()
                            + " invalid byte sequence(s) replaced by U+FFFD (as Python's bytes.decode(\"utf-8\", \"replace\"))");
                }
            }
            batch.add(jsonl ? parseJsonString(line, in.number()) : line);
            if (batch.size() == BATCH) write(tok, batch, in.number(), out);
        }
        write(tok, batch, in.number(), out);
        out.flush();
        if (invalidLines > MAX_WARNINGS) {
            err.println("clip: warning: " + invalidLines + " input lines in all were not valid UTF-8 (the first "
                    + MAX_WARNINGS + " are named above)");
        }
        return 0;
    }

    /** The text of one {@code --jsonl} line, which must be a JSON string and nothing else. */
    private String parseJsonString(String line, long lineNo) {
        JsonNode node;
        try {
            node = json.readTree(line);
        } catch (JsonProcessingException e) {
            throw new ClipException("input line " + lineNo + ": --jsonl expects a JSON string such as \"a photo\\nof a cat\": "
                    + e.getOriginalMessage());
        }
        if (node == null || node.isMissingNode() || !node.isTextual()) {
            throw new ClipException("input line " + lineNo + ": --jsonl expects a JSON string such as \"a photo\\nof a cat\", found "
                    + (node == null || node.isMissingNode() ? "an empty line" : "a JSON " + node.getNodeType().name().toLowerCase()));
        }
        return node.textValue();
    }

    /** Tokenizes and prints a batch whose last line has the 1-based number {@code lastLine}. */
    private void write(ClipTokenizer tok, List<String> batch, long lastLine, PrintWriter out) {
        if (batch.isEmpty()) return;
        long first = lastLine - batch.size() + 1;
        long[][] rows = new long[batch.size()][];
        for (int i = 0; i < rows.length; i++) {
            String text = batch.get(i);
            try {
                rows[i] = tok.tokenize(List.of(text), contextLength, !noTruncate)[0];
            } catch (ClipException e) {
                out.flush();
                int count = noTruncate ? tok.encode(text).length + 2 : 0;
                if (count > contextLength) {
                    throw new ClipException("input line " + (first + i) + ": " + count
                            + " tokens (with start and end of text) do not fit the context length " + contextLength
                            + " and --no-truncate is set (without it the text is cut to " + contextLength
                            + " tokens): " + quote(text), e);
                }
                throw new ClipException("input line " + (first + i) + ": " + e.getMessage(), e);
            }
        }
        StringBuilder sb = new StringBuilder();
        for (long[] row : rows) {
            sb.setLength(0);
            sb.append('[');
            for (int i = 0; i < row.length; i++) {
                if (i > 0) sb.append(", ");
                sb.append(row[i]);
            }
            out.println(sb.append(']'));
        }
        batch.clear();
    }

    /** The text in quotes, cut after 80 code points, with control characters escaped so the error stays one line. */
    private static String quote(String text) {
        StringBuilder sb = new StringBuilder("\"");
        int n = 0;
        for (int i = 0; i < text.length(); i += Character.charCount(text.codePointAt(i)), n++) {
            if (n == 80) {
                return sb.append("...\" (").append(text.length()).append(" characters)").toString();
            }
            int cp = text.codePointAt(i);
            if (cp < 0x20 || cp == 0x7F) sb.append(String.format("\\u%04x", cp));
            else sb.appendCodePoint(cp);
        }
        return sb.append('"').toString();
    }

    /**
     * The bundled tokenizer, a reference merges file, a Hugging Face vocab.json + merges.txt, or a Hugging Face
     * tokenizer.json (in a folder: vocab.json + merges.txt first, else tokenizer.json).
     */
    static ClipTokenizer loadTokenizer(Path vocab) {
        if (vocab == null) return ClipTokenizer.openai();
        if (Files.isDirectory(vocab)) {
            Path v = vocab.resolve("vocab.json"), m = vocab.resolve("merges.txt"), t = vocab.resolve("tokenizer.json");
            if (Files.isRegularFile(v) && Files.isRegularFile(m)) return ClipTokenizer.fromHuggingFace(v, m);
            if (Files.isRegularFile(t)) return ClipTokenizer.fromTokenizerJson(t);
            throw new ClipException(vocab + ": expected a Hugging Face tokenizer folder with vocab.json and merges.txt,"
                    + " or tokenizer.json");
        }
        if (!Files.isRegularFile(vocab)) throw new ClipException(vocab + ": no such vocabulary file");
        if (vocab.getFileName().toString().equals("tokenizer.json")) return ClipTokenizer.fromTokenizerJson(vocab);
        if (vocab.getFileName().toString().endsWith(".json")) {
            Path m = vocab.resolveSibling("merges.txt");
            if (!Files.isRegularFile(m)) throw new ClipException(vocab + ": a vocab.json needs merges.txt beside it (" + m + ")");
            return ClipTokenizer.fromHuggingFace(vocab, m);
        }
        return ClipTokenizer.fromMergesFile(vocab);
    }
}
