package org.clip4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.clip4j.core.tokenizer.ClipTokenizer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code clip tokenize} reads standard input as the reference flow (Python, universal newlines, UTF-8 with
 * {@code errors="replace"}) does: the expected texts and invalid lines come from
 * clip-cli/src/test/scripts/gen_tokenize_stdin_cases.py.
 */
class TokenizeCommandTest extends CapturedStdio {
    private static final Pattern WARNING = Pattern.compile("clip: warning: input line (\\d+) is not valid UTF-8: (\\d+) .*");

    private int run(byte[] stdin, String... args) {
        out.reset();
        err.reset();
        System.setIn(new ByteArrayInputStream(stdin));
        return ClipCommand.execute(args);
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8).trim();
    }

    private static List<String> rows(List<String> texts, int contextLength) {
        List<String> rows = new ArrayList<>();
        for (long[] row : ClipTokenizer.openai().tokenize(texts, contextLength, true)) {
            rows.add(Arrays.toString(row));
        }
        return rows;
    }

    @Test
    void linesSplitAndDecodeAsPythonReadsThem() throws Exception {
        JsonNode cases;
        try (InputStream in = getClass().getResourceAsStream("tokenize_stdin_cases.json")) {
            cases = new ObjectMapper().readTree(in).get("cases");
        }
        int warned = 0;
        for (JsonNode c : cases) {
            byte[] bytes = HexFormat.of().parseHex(c.get("hex").textValue());
            List<String> texts = new ArrayList<>();
            c.get("texts").forEach(t -> texts.add(t.textValue()));
            String label = c.get("hex").textValue();
            int exit = c.get("jsonl").booleanValue() ? run(bytes, "tokenize", "--jsonl") : run(bytes, "tokenize");
            assertEquals(0, exit, label + ": " + stderr());
            List<String> got = stdout().isEmpty() ? List.of() : List.of(stdout().split("\n", -1)).subList(0, stdout().split("\n", -1).length - 1);
            assertEquals(rows(texts, 77), got, label);
            List<List<Integer>> expectedWarnings = new ArrayList<>();
            c.get("invalid_lines").forEach(p -> expectedWarnings.add(List.of(p.get(0).intValue(), p.get(1).intValue())));
            List<List<Integer>> warnings = new ArrayList<>();
            for (String line : stderr().lines().toList()) {
                Matcher m = WARNING.matcher(line);
                if (m.matches()) warnings.add(List.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))));
            }
            assertEquals(expectedWarnings, warnings, label + ": " + stderr());
            warned += warnings.size();
        }
        assertTrue(warned > 20, "the table must exercise invalid UTF-8: " + warned);
    }

    @Test
    void bareCarriageReturnSplitsTheLine() {
        assertEquals(0, run("a photo\rof a cat\r\n".getBytes(StandardCharsets.UTF_8), "tokenize", "--context-length", "8"));
        assertEquals(List.of("[49406, 320, 1125, 49407, 0, 0, 0, 0]", "[49406, 539, 320, 2368, 49407, 0, 0, 0]"),
                stdout().lines().map(l -> l).toList());
    }

    @Test
    void jsonlTakesLineBreaksAndControlCharacters() {
        byte[] in = "\"a photo\\nof a cat\"\n\"a\\u0000photo\"\n".getBytes(StandardCharsets.UTF_8);
        assertEquals(0, run(in, "tokenize", "--jsonl", "--context-length", "8"));
        assertEquals(rows(List.of("a photo\nof a cat", "a\u0000photo"), 8), stdout().lines().toList());
        // Without ftfy the NUL stays and is a character of its own for the pre-tokenizer.
        assertEquals(0, run(in, "tokenize", "--jsonl", "--no-ftfy", "--context-length", "8"));
        List<String> noFtfy = new ArrayList<>();
        for (long[] row : ClipTokenizer.openai().withFtfy(false).tokenize(List.of("a photo\nof a cat", "a\u0000photo"), 8, true)) {
            noFtfy.add(Arrays.toString(row));
        }
        assertEquals(noFtfy, stdout().lines().toList());
    }

    @Test
    void jsonlLineThatIsNotAJsonStringIsNamed() {
        String[] bad = {"[\"a\"]", "a photo", "\"unterminated", "\"a\" \"b\"", "", "42", "\"raw\ttab\""};
        for (String line : bad) {
            byte[] in = ("\"fine\"\n\"also fine\"\n" + line + "\n\"after\"\n").getBytes(StandardCharsets.UTF_8);
            assertEquals(1, run(in, "tokenize", "--jsonl"), line);
            String e = stderr();
            assertTrue(e.startsWith("clip: error: input line 3: --jsonl expects a JSON string"), line + " → " + e);
            assertEquals(1, e.lines().count(), e);
        }
    }

    @Test
    void noTruncateErrorNamesTheOneBasedLineAndTheOption() {
        StringBuilder in = new StringBuilder();
        for (int i = 1; i <= 1501; i++) {
            in.append(i == 1500 ? "a photo of a very very very long cat" : "a cat").append('\n');
        }
        assertEquals(1, run(in.toString().getBytes(StandardCharsets.UTF_8), "tokenize", "--context-length", "8", "--no-truncate"));
        String e = stderr();
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.startsWith("clip: error: input line 1500: 11 tokens (with start and end of text) do not fit the context length 8"), e);
        assertTrue(e.contains("--no-truncate") && e.contains("a photo of a very very very long cat"), e);
        assertFalse(e.contains("truncate=") || e.contains("text 475") || e.contains(".."), e);
        // The rows before the failing batch were written.
        assertEquals(1024, stdout().lines().count());
    }
}
