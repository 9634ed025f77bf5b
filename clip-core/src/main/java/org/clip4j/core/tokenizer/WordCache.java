package org.clip4j.core.tokenizer;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bounded, thread-safe least-recently-used cache from a pre-token to its BPE ids. The reference caches every
 * word forever; a bound keeps memory flat on large corpora. Values are shared: callers must not modify them.
 */
final class WordCache {
    /** Words longer than this are not cached: they are rare, and would make the memory bound meaningless. */
    static final int MAX_WORD_LENGTH = 256;

    private final Map<String, int[]> map;

    /** @param capacity the most entries kept; the least recently used one goes first */
    WordCache(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.map = new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, int[]> eldest) {
                return size() > capacity;
            }
        };
    }

    /** The cached ids of {@code word}, or {@code null}. */
    synchronized int[] get(String word) {
        return map.get(word);
    }

    /** Caches {@code ids} for {@code word}, unless the word is longer than {@link #MAX_WORD_LENGTH}. */
    void put(String word, int[] ids) {
        if (word.length() <= MAX_WORD_LENGTH) {
            synchronized (this) {
                map.put(word, ids);
            }
        }
    }

    /** Number of cached words. */
    synchronized int size() {
        return map.size();
    }
}
