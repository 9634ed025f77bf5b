package org.clip4j.core.tokenizer;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.clip4j.core.ClipException;

/**
 * The BPE vocabulary: token strings (byte-level symbols, {@code </w>} marking a word end) and their ids, plus the
 * ids every encoding needs: the 256 single-byte symbols, the same with {@code </w>}, and the two special tokens.
 */
final class Vocabulary {
    static final String END_OF_WORD = "</w>";

    private final String[] tokens;
    private final Map<String, Integer> ids;
    private final int[] byteIds = new int[256];
    private final int[] byteEndIds = new int[256];
    private final int sot;
    private final int eot;

    private Vocabulary(String[] tokens, Map<String, Integer> ids, String source) {
        this.tokens = tokens;
        this.ids = ids;
        for (int b = 0; b < 256; b++) {
            String symbol = String.valueOf(ByteLevel.symbol(b));
            byteIds[b] = require(symbol, source);
            byteEndIds[b] = require(symbol + END_OF_WORD, source);
        }
        sot = require(PreTokenizer.START_OF_TEXT, source);
        eot = require(PreTokenizer.END_OF_TEXT, source);
    }

    /**
     * A vocabulary whose ids are the list positions. If a string occurs twice, the later id wins for encoding, as
     * in the reference's {@code dict(zip(vocab, range(len(vocab))))}.
     */
    static Vocabulary fromList(List<String> tokens, String source) {
        Map<String, Integer> ids = new HashMap<>(tokens.size() * 2);
        for (int i = 0; i < tokens.size(); i++) {
            ids.put(tokens.get(i), i);
        }
        return new Vocabulary(tokens.toArray(new String[0]), ids, source);
    }

    /** A vocabulary from a token → id map (Hugging Face {@code vocab.json}); ids need not be contiguous. */
    static Vocabulary fromMap(Map<String, Integer> ids, String source) {
        int max = -1;
        for (Map.Entry<String, Integer> e : ids.entrySet()) {
            if (e.getValue() == null || e.getValue() < 0) {
                throw new ClipException(source + ": token " + quote(e.getKey()) + " has invalid id " + e.getValue());
            }
            max = Math.max(max, e.getValue());
        }
        String[] tokens = new String[max + 1];
        for (Map.Entry<String, Integer> e : ids.entrySet()) {
            if (tokens[e.getValue()] != null) {
                throw new ClipException(source + ": id " + e.getValue() + " is used by both "
                        + quote(tokens[e.getValue()]) + " and " + quote(e.getKey()));
            }
            tokens[e.getValue()] = e.getKey();
        }
        return new Vocabulary(tokens, new HashMap<>(ids), source);
    }

    private int require(String token, String source) {
        Integer id = ids.get(token);
        if (id == null) {
            throw new ClipException(source + ": the vocabulary lacks the token " + quote(token));
        }
        return id;
    }

    static String quote(String s) {
        return '"' + s + '"';
    }

    /** The id of {@code token}, or -1. */
    int id(String token) {
        Integer id = ids.get(token);
        return id == null ? -1 : id;
    }

    /** The token string of {@code id}, or {@code null} if no token has that id. */
    String token(int id) {
        return id >= 0 && id < tokens.length ? tokens[id] : null;
    }

    /** One more than the largest id. */
    int size() {
        return tokens.length;
    }

    /** Id of the symbol of byte {@code b} (0..255). */
    int byteId(int b) {
        return byteIds[b];
    }

    /** Id of the symbol of byte {@code b} followed by {@code </w>}. */
    int byteEndId(int b) {
        return byteEndIds[b];
    }

    int sot() {
        return sot;
    }

    int eot() {
        return eot;
    }
}
