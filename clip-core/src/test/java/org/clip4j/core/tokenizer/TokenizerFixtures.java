package org.clip4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Loads the reference tokenizer fixtures and the generated extra cases. */
final class TokenizerFixtures {
    private static JsonNode reference;
    private static JsonNode extra;

    private TokenizerFixtures() {
    }

    /** testdata/clip-reference/tokenizer.expected.json (68 cases, produced by the real reference). */
    static synchronized JsonNode reference() {
        if (reference == null) {
            String dir = System.getProperty("clip4j.testdata");
            assertNotNull(dir, "system property clip4j.testdata is not set (Surefire sets it)");
            Path file = Path.of(dir, "clip-reference", "tokenizer.expected.json");
            assertTrue(Files.isRegularFile(file), "missing fixture " + file);
            try {
                reference = new ObjectMapper().readTree(file.toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            assertEquals(68, reference.get("cases").size(), "fixture case count");
        }
        return reference;
    }

    /** The reference cases. */
    static List<JsonNode> referenceCases() {
        List<JsonNode> cases = new ArrayList<>();
        reference().get("cases").forEach(cases::add);
        return cases;
    }

    /** tokenizer_extra_cases.json, from clip-core/src/test/scripts/gen_tokenizer_extra_cases.py. */
    static synchronized JsonNode extra() {
        if (extra == null) {
            try (InputStream in = TokenizerFixtures.class.getResourceAsStream("tokenizer_extra_cases.json")) {
                assertNotNull(in, "missing test resource tokenizer_extra_cases.json");
                extra = new ObjectMapper().readTree(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return extra;
    }

    static List<JsonNode> extra(String field) {
        List<JsonNode> list = new ArrayList<>();
        extra().get(field).forEach(list::add);
        assertTrue(list.size() > 0, "no entries in " + field);
        return list;
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).intValue();
        }
        return out;
    }

    static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).longValue();
        }
        return out;
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.textValue()));
        return out;
    }

    /** A readable, never blank label for a test text. */
    static String label(String text) {
        return "[" + labelBody(text) + "]";
    }

    private static String labelBody(String text) {
        String shown = text.length() > 40 ? text.substring(0, 37) + "..." : text;
        StringBuilder sb = new StringBuilder();
        shown.codePoints().forEach(cp -> {
            if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
                sb.append(String.format("\\x%02x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.toString();
    }
}
