package org.clip4j.cli;

import org.clip4j.core.ClipException;
import org.clip4j.core.tokenizer.ClipTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
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
                "of exactly --context-length ids."})
final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--context-length", paramLabel = "N", defaultValue = "77",
            description = "Row length (default: ${DEFAULT-VALUE}).")
    int contextLength;

    @Option(names = "--no-truncate", description = "Fail on a text longer than the context instead of cutting it.")
    boolean noTruncate;

    @Option(names = "--vocab", paramLabel = "PATH",
            description = {"Vocabulary: a reference merges file (bpe_simple_vocab_16e6.txt.gz or .txt),",
                    "or a Hugging Face tokenizer folder / vocab.json with merges.txt beside it / tokenizer.json.",
                    "Default: the bundled OpenAI vocabulary."})
    Path vocab;

    @Override
    public Integer call() throws IOException {
        if (contextLength < 2) throw new IllegalArgumentException("--context-length " + contextLength + ": expected at least 2");
        ClipTokenizer tok = loadTokenizer(vocab);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)));
        List<String> batch = new ArrayList<>();
        long lineNo = 0;
        for (String line; (line = in.readLine()) != null; ) {
            batch.add(line);
            lineNo++;
            if (batch.size() == 1024) write(tok, batch, lineNo, out);
        }
        write(tok, batch, lineNo, out);
        out.flush();
        return 0;
    }

    private void write(ClipTokenizer tok, List<String> batch, long lastLine, PrintWriter out) {
        if (batch.isEmpty()) return;
        long[][] rows;
        try {
            rows = tok.tokenize(batch, contextLength, !noTruncate);
        } catch (ClipException e) {
            out.flush();
            throw new ClipException("input lines " + (lastLine - batch.size() + 1) + ".." + lastLine + ": " + e.getMessage(), e);
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
