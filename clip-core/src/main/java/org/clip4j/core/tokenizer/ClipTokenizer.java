package org.clip4j.core.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.clip4j.core.ClipException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CLIP byte-level BPE tokenizer, giving the same ids as openai/CLIP's {@code SimpleTokenizer} and
 * {@code clip.tokenize}.
 *
 * <p>Encoding runs these steps:
 * <ol>
 *   <li>Cleaning: ftfy's {@code fix_text} ({@link Ftfy}: mojibake, HTML entities, curly quotes, ligatures,
 *       full-width forms, line breaks, control characters, NFC), then {@code html.unescape} twice with Python's
 *       full HTML5 rules, {@code strip()}, whitespace runs to one space, {@code strip()}, and Python's
 *       {@code str.lower()} (locale-independent, with the Greek final sigma rule).</li>
 *   <li>Pre-tokenizing with the reference pattern
 *       {@code <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+}
 *       (case-insensitive). A literal {@code <|startoftext|>} or {@code <|endoftext|>} in the text becomes the
 *       special id.</li>
 *   <li>BPE of each piece's UTF-8 bytes, mapped to byte symbols, with {@code </w>} on the last symbol.</li>
 * </ol>
 *
 * <p><b>ftfy.</b> The reference first repairs text with the Python library ftfy ({@code ftfy.fix_text}). clip4j
 * follows ftfy 6.3.1 in Java ({@link Ftfy}, checked against ftfy's own test suite and the reference tokenizer with
 * the real ftfy), so the ids are the reference's for mojibake, curly quotes and the rest too. {@link #withFtfy}
 * turns the step off for speed; text that ftfy would change then gets other ids than the reference.
 *
 * <p><b>Unicode.</b> The letter, number and whitespace classes, the lowercase mappings and the final sigma rule come
 * from tables generated with the reference's own Python 3.11.2 (Unicode 14.0) and {@code regex} module (Unicode
 * 15.0), not from the JVM (Java 17 has Unicode 13.0), so the ids do not change with the Java version.
 *
 * <p>Instances are immutable apart from a bounded word cache and are safe to share between threads.
 */
public final class ClipTokenizer {
    /** The context length of every released CLIP model: 77 token positions. */
    public static final int DEFAULT_CONTEXT_LENGTH = 77;

    /** Capacity of the per-instance word cache (pre-token → BPE ids). */
    static final int CACHE_CAPACITY = 50_000;

    private static final Logger LOG = LoggerFactory.getLogger(ClipTokenizer.class);
    private static final String BUNDLED_MERGES = "bpe_simple_vocab_16e6.txt.gz";
    /** Texts longer than this are abbreviated in error messages. */
    private static final int MAX_QUOTED_TEXT = 80;

    private final Vocabulary vocabulary;
    private final BpeMerges merges;
    private final WordCache cache;
    /** Whether {@code encode} runs {@link Ftfy#fixText} first, as the reference does. */
    private final boolean ftfy;

    private ClipTokenizer(MergesFiles.Loaded loaded, String source, long startNanos) {
        this(loaded, CACHE_CAPACITY, source, startNanos);
    }

    private ClipTokenizer(MergesFiles.Loaded loaded, int cacheCapacity, String source, long startNanos) {
        this.vocabulary = loaded.vocabulary();
        this.merges = loaded.merges();
        this.cache = new WordCache(cacheCapacity);
        this.ftfy = true;
        LOG.debug("Loaded CLIP BPE tokenizer from {}: {} merges, vocabulary size {}, in {} ms", source,
                merges.size(), vocabulary.size(), (System.nanoTime() - startNanos) / 1_000_000);
    }

    /** Lazily loaded shared instance of the bundled vocabulary. */
    private static final class Bundled {
        static final ClipTokenizer INSTANCE = loadBundled();

        private static ClipTokenizer loadBundled() {
            long start = System.nanoTime();
            try (InputStream in = ClipTokenizer.class.getResourceAsStream(BUNDLED_MERGES)) {
                if (in == null) {
                    throw new IllegalStateException("bundled resource missing from the class path: " + BUNDLED_MERGES);
                }
                return new ClipTokenizer(MergesFiles.readReference(in, BUNDLED_MERGES), BUNDLED_MERGES, start);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read bundled resource " + BUNDLED_MERGES, e);
            }
        }
    }

    /**
     * The tokenizer of the OpenAI CLIP models (and the OpenCLIP models trained with the same vocabulary), from the
     * bundled {@code bpe_simple_vocab_16e6.txt.gz}. Loaded once on first use; every call returns the same instance.
     */
    public static ClipTokenizer openai() {
        return Bundled.INSTANCE;
    }

    /**
     * Loads a merges file in the reference format, like {@code bpe_simple_vocab_16e6.txt.gz}: gzip-compressed or plain
     * UTF-8 text, line 0 a header, then at least 48,894 lines {@code "left right"} (later lines are ignored, as by the
     * reference). The vocabulary is the 256 byte symbols, the same with {@code </w>}, one token per merge and then
     * {@code <|startoftext|>} (id 49406) and {@code <|endoftext|>} (id 49407): 49,408 ids.
     *
     * @throws ClipException if the file is missing, unreadable or not in that format
     */
    public static ClipTokenizer fromMergesFile(Path mergesFile) {
        Objects.requireNonNull(mergesFile, "mergesFile");
        long start = System.nanoTime();
        try (InputStream in = Files.newInputStream(mergesFile)) {
            return new ClipTokenizer(MergesFiles.readReference(in, mergesFile.toString()), mergesFile.toString(), start);
        } catch (NoSuchFileException e) {
            throw new ClipException("BPE merges file not found: " + mergesFile, e);
        } catch (IOException e) {
            throw new ClipException("cannot read BPE merges file " + mergesFile + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads a Hugging Face CLIP tokenizer ({@code CLIPTokenizer} files): ids come from {@code vocab.json} (token → id),
     * merge ranks from the line order of {@code merges.txt} after its {@code #version} header line (at most 48,894
     * merges are used, as Hugging Face does). Cleaning and pre-tokenizing are those of the reference, as for
     * {@link #openai()}. The vocabulary must hold every byte symbol, with and without {@code </w>},
     * {@code <|startoftext|>}, {@code <|endoftext|>}, and both sides and the result of every merge.
     *
     * @throws ClipException if a file is missing, unreadable or not in that format
     */
    public static ClipTokenizer fromHuggingFace(Path vocabJson, Path mergesTxt) {
        Objects.requireNonNull(vocabJson, "vocabJson");
        Objects.requireNonNull(mergesTxt, "mergesTxt");
        long start = System.nanoTime();
        try {
            return new ClipTokenizer(MergesFiles.readHuggingFace(vocabJson, mergesTxt), vocabJson + " + " + mergesTxt,
                    start);
        } catch (NoSuchFileException e) {
            throw new ClipException("Hugging Face tokenizer file not found: " + e.getFile(), e);
        } catch (IOException e) {
            throw new ClipException("cannot read Hugging Face tokenizer files " + vocabJson + ", " + mergesTxt + ": "
                    + e.getMessage(), e);
        }
    }

    private ClipTokenizer(ClipTokenizer other, boolean ftfy) {
        this.vocabulary = other.vocabulary;
        this.merges = other.merges;
        this.cache = other.cache; // pre-token → ids does not depend on the cleaning
        this.ftfy = ftfy;
    }

    /**
     * This tokenizer with ftfy's {@code fix_text} on (the default, as the reference) or off. Off skips the
     * mojibake and Unicode repairs (see {@link Ftfy}) for speed: text that {@code fix_text} would change then gets
     * other ids than the reference. Both share the vocabulary and the word cache.
     *
     * @param enabled whether {@link #encode} runs {@code ftfy.fix_text} before the HTML unescaping
     * @return a tokenizer with that setting (this one if it already has it)
     */
    public ClipTokenizer withFtfy(boolean enabled) {
        return enabled == ftfy ? this : new ClipTokenizer(this, enabled);
    }

    /** Whether {@link #encode} runs ftfy's {@code fix_text} first (true unless turned off by {@link #withFtfy}). */
    public boolean ftfy() {
        return ftfy;
    }

    /**
     * Loads a Hugging Face fast tokenizer file, {@code tokenizer.json} (its BPE {@code model.vocab} and
     * {@code model.merges}, merges written as {@code "a b"} strings or {@code ["a", "b"]} pairs): the same
     * tokenizer as the {@code vocab.json} + {@code merges.txt} it was made from (see {@link #fromHuggingFace}).
     *
     * @throws ClipException if the file is missing, unreadable or not a byte-level BPE tokenizer
     */
    public static ClipTokenizer fromTokenizerJson(Path tokenizerJson) {
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        long start = System.nanoTime();
        try {
            return new ClipTokenizer(MergesFiles.readTokenizerJson(tokenizerJson), tokenizerJson.toString(), start);
        } catch (NoSuchFileException e) {
            throw new ClipException("Hugging Face tokenizer file not found: " + e.getFile(), e);
        } catch (IOException e) {
            throw new ClipException("cannot read Hugging Face tokenizer file " + tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    /** A tokenizer with the same vocabulary as this one and its own word cache of the given capacity (for tests). */
    ClipTokenizer withCacheCapacity(int cacheCapacity) {
        return new ClipTokenizer(new MergesFiles.Loaded(vocabulary, merges), cacheCapacity, "copy", System.nanoTime())
                .withFtfy(ftfy);
    }

    /** Number of words in the cache (for tests). */
    int cachedWords() {
        return cache.size();
    }

    /** Id of {@code <|startoftext|>} (49406 for the OpenAI vocabulary). */
    public int sotToken() {
        return vocabulary.sot();
    }

    /** Id of {@code <|endoftext|>} (49407 for the OpenAI vocabulary); the largest id in the OpenAI vocabulary. */
    public int eotToken() {
        return vocabulary.eot();
    }

    /** Number of ids: one more than the largest id (49,408 for the OpenAI vocabulary). */
    public int vocabSize() {
        return vocabulary.size();
    }

    /** The vocabulary string of {@code id} (byte symbols, {@code </w>} at word ends), or {@code null}. */
    String tokenString(int id) {
        return vocabulary.token(id);
    }

    /**
     * Encodes one text to BPE ids, without {@code <|startoftext|>} and {@code <|endoftext|>}: the reference's
     * {@code SimpleTokenizer.encode}.
     *
     * @throws ClipException if ftfy is off ({@link #withFtfy}) and the text contains an unpaired surrogate (it has
     *                       no UTF-8 encoding; the reference without ftfy fails too). With ftfy it becomes U+FFFD.
     */
    public int[] encode(String text) {
        Objects.requireNonNull(text, "text");
        IntArrayBuilder ids = new IntArrayBuilder(text.length() / 3 + 4);
        String cleaned = TextCleaner.clean(text, ftfy);
        for (String piece : PreTokenizer.split(cleaned)) {
            if (piece.equals(PreTokenizer.START_OF_TEXT)) {
                ids.add(vocabulary.sot());
            } else if (piece.equals(PreTokenizer.END_OF_TEXT)) {
                ids.add(vocabulary.eot());
            } else {
                ids.addAll(wordIds(piece, text));
            }
        }
        return ids.toArray();
    }

    private int[] wordIds(String piece, String text) {
        int[] cached = cache.get(piece);
        if (cached != null) {
            return cached;
        }
        for (int i = 0; i < piece.length(); i++) {
            char c = piece.charAt(i);
            if (Character.isSurrogate(c)
                    && !(Character.isHighSurrogate(c) && i + 1 < piece.length()
                    && Character.isLowSurrogate(piece.charAt(i + 1)))) {
                throw new ClipException("text " + quoteAbbreviated(text) + " contains an unpaired surrogate U+"
                        + Integer.toHexString(c).toUpperCase() + ", which has no UTF-8 encoding");
            }
            if (Character.isHighSurrogate(c)) {
                i++;
            }
        }
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        int[] word = new int[bytes.length];
        for (int i = 0; i < bytes.length - 1; i++) {
            word[i] = vocabulary.byteId(bytes[i] & 0xFF);
        }
        word[bytes.length - 1] = vocabulary.byteEndId(bytes[bytes.length - 1] & 0xFF);
        int[] ids = merges.apply(word);
        cache.put(piece, ids);
        return ids;
    }

    /**
     * Decodes ids back to text: the reference's {@code SimpleTokenizer.decode}. The token strings are joined, turned
     * back into bytes, decoded as UTF-8 with each invalid sequence replaced by U+FFFD (Python's
     * {@code errors="replace"}), and every {@code </w>} becomes a space. So the result of a decoded word ends with a
     * space, and no space follows a special token.
     *
     * @throws ClipException if an id is not in the vocabulary
     */
    public String decode(int[] ids) {
        Objects.requireNonNull(ids, "ids");
        StringBuilder symbols = new StringBuilder(ids.length * 4);
        for (int i = 0; i < ids.length; i++) {
            String token = vocabulary.token(ids[i]);
            if (token == null) {
                throw new ClipException("cannot decode id " + ids[i] + " at position " + i
                        + ": not in the vocabulary of size " + vocabulary.size());
            }
            symbols.append(token);
        }
        byte[] bytes = new byte[symbols.length()];
        for (int i = 0; i < bytes.length; i++) {
            int b = ByteLevel.byteOf(symbols.charAt(i));
            if (b < 0) {
                throw new ClipException("cannot decode: a vocabulary token contains U+"
                        + Integer.toHexString(symbols.charAt(i)).toUpperCase() + ", which is not a byte symbol");
            }
            bytes[i] = (byte) b;
        }
        return PythonUtf8.decode(bytes, bytes.length).replace(Vocabulary.END_OF_WORD, " ");
    }

    /**
     * The reference's {@code clip.tokenize}: one row per text, {@code [<|startoftext|>] + encode(text) +
     * [<|endoftext|>]} followed by zeros up to {@code contextLength}. Padding with id 0 (the symbol {@code !}) is
     * harmless: the causal mask keeps the end-of-text position from seeing it, and the model reads the features at
     * the end-of-text position.
     *
     * <p>If a row is longer than {@code contextLength}: with {@code truncate} the first {@code contextLength} ids are
     * kept and the last one is set to {@code <|endoftext|>}, so the row still has an end of text for the model to
     * pool (the model takes the <em>first</em> position of the largest id, which is end-of-text; a text that
     * contains a literal {@code <|endoftext|>} is therefore pooled there); without it a {@link ClipException} is
     * thrown.
     *
     * @param texts         the texts
     * @param contextLength the row length, at least 1 (77 for released CLIP models)
     * @param truncate      whether to cut long texts instead of failing
     * @return an array {@code [texts.size()][contextLength]}
     * @throws ClipException            if a text is too long and {@code truncate} is false; the message quotes the
     *                                  text (abbreviated), its token count and the context length
     * @throws IllegalArgumentException if {@code contextLength < 1}
     */
    public long[][] tokenize(List<String> texts, int contextLength, boolean truncate) {
        Objects.requireNonNull(texts, "texts");
        if (contextLength < 1) {
            throw new IllegalArgumentException("contextLength must be at least 1: " + contextLength);
        }
        long[][] rows = new long[texts.size()][contextLength];
        for (int r = 0; r < rows.length; r++) {
            String text = texts.get(r);
            int[] ids = encode(text);
            int count = ids.length + 2;
            if (count > contextLength && !truncate) {
                throw new ClipException("text " + r + " " + quoteAbbreviated(text) + " has " + count
                        + " tokens (with start and end of text), more than the context length " + contextLength
                        + "; use truncate=true to cut it");
            }
            long[] row = rows[r];
            row[0] = vocabulary.sot();
            int n = Math.min(ids.length, contextLength - 1);
            for (int i = 0; i < n; i++) {
                row[i + 1] = ids[i];
            }
            row[Math.min(ids.length + 1, contextLength - 1)] = vocabulary.eot();
        }
        return rows;
    }

    /**
     * {@link #tokenize(List, int, boolean)} as an ND4J {@code INT64} array of shape {@code [texts.size(),
     * contextLength]}.
     */
    public INDArray tokenizeToArray(List<String> texts, int contextLength, boolean truncate) {
        long[][] rows = tokenize(texts, contextLength, truncate);
        if (rows.length == 0) {
            return Nd4j.create(DataType.INT64, 0, contextLength);
        }
        return Nd4j.createFromArray(rows);
    }

    /** A quoted text for error messages, cut to {@value #MAX_QUOTED_TEXT} characters. */
    static String quoteAbbreviated(String text) {
        if (text.codePointCount(0, text.length()) <= MAX_QUOTED_TEXT) {
            return '"' + text + '"';
        }
        int end = text.offsetByCodePoints(0, MAX_QUOTED_TEXT - 3);
        return '"' + text.substring(0, end) + "...\" (" + text.length() + " characters)";
    }

    @Override
    public String toString() {
        return "ClipTokenizer[vocabSize=" + vocabulary.size() + ", merges=" + merges.size() + ", ftfy=" + ftfy + "]";
    }

    /** A growable int array, to avoid boxing. */
    private static final class IntArrayBuilder {
        private int[] data;
        private int size;

        IntArrayBuilder(int capacity) {
            data = new int[Math.max(capacity, 4)];
        }

        void add(int value) {
            if (size == data.length) {
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = value;
        }

        void addAll(int[] values) {
            if (size + values.length > data.length) {
                data = Arrays.copyOf(data, Math.max(size * 2, size + values.length));
            }
            System.arraycopy(values, 0, data, size, values.length);
            size += values.length;
        }

        int[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }
}
