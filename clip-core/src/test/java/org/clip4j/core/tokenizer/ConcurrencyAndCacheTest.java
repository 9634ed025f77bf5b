package org.clip4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The bounded word cache, and many threads tokenizing at once. */
class ConcurrencyAndCacheTest {
    @Test
    void cacheEvictsTheLeastRecentlyUsedWord() {
        WordCache cache = new WordCache(2);
        int[] a = {1};
        cache.put("a", a);
        cache.put("b", new int[] {2});
        assertSame(a, cache.get("a")); // a is now more recent than b
        cache.put("c", new int[] {3});
        assertEquals(2, cache.size());
        assertNull(cache.get("b"));
        assertSame(a, cache.get("a"));
        cache.put("x".repeat(WordCache.MAX_WORD_LENGTH + 1), new int[] {4});
        assertEquals(2, cache.size());
    }

    @Test
    void cacheStaysBounded() {
        ClipTokenizer small = ClipTokenizer.openai().withCacheCapacity(5);
        int[] first = small.encode("one two three four five six seven eight nine ten");
        assertEquals(5, small.cachedWords());
        assertArrayEquals(first, small.encode("one two three four five six seven eight nine ten"));
        assertArrayEquals(ClipTokenizer.openai().encode("one two three"), small.encode("one two three"));
    }

    @Test
    void manyThreadsGetTheFixtureIds() throws Exception {
        List<JsonNode> cases = TokenizerFixtures.referenceCases();
        // The shared instance, and one with a tiny cache so that eviction races with lookups.
        for (ClipTokenizer tokenizer : List.of(ClipTokenizer.openai(), ClipTokenizer.openai().withCacheCapacity(7))) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Callable<Integer>> jobs = new ArrayList<>();
                for (int t = 0; t < 16; t++) {
                    long seed = t;
                    jobs.add(() -> {
                        List<JsonNode> order = new ArrayList<>(cases);
                        int checked = 0;
                        for (int round = 0; round < 5; round++) {
                            Collections.shuffle(order, new Random(seed * 31 + round));
                            for (JsonNode c : order) {
                                String text = c.get("text").textValue();
                                assertArrayEquals(TokenizerFixtures.ints(c.get("encode")), tokenizer.encode(text), text);
                                assertArrayEquals(TokenizerFixtures.longs(c.get("tokenize")),
                                        tokenizer.tokenize(List.of(text), 77, true)[0], text);
                                checked++;
                            }
                        }
                        return checked;
                    });
                }
                int total = 0;
                for (Future<Integer> f : pool.invokeAll(jobs)) {
                    total += f.get();
                }
                assertEquals(16 * 5 * cases.size(), total);
            } finally {
                pool.shutdown();
                assertTrue(pool.awaitTermination(1, TimeUnit.MINUTES));
            }
        }
    }
}
