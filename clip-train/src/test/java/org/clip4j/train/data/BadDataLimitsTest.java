package org.clip4j.train.data;

import org.clip4j.core.ClipException;
import org.clip4j.core.image.ImagePreprocessor;
import org.clip4j.core.tokenizer.ClipTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.helpers.NOPLogger;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Issue 13 item 1: data with nothing usable ends the stream with an error instead of spinning forever. */
class BadDataLimitsTest {
    @TempDir
    Path tmp;

    /** A manifest of {@code rows} rows whose images do not exist. */
    private Path allMissing(int rows) throws IOException {
        StringBuilder sb = new StringBuilder("filepath\ttitle\n");
        for (int i = 0; i < rows; i++) sb.append("missing-").append(i).append(".png\tcaption ").append(i).append('\n');
        Path m = tmp.resolve("bad.tsv");
        Files.writeString(m, sb);
        return m;
    }

    private static BatchLoader loader(ImageTextSource src, Sampling sampling, long maxBad) {
        return new BatchLoader(src, ImagePreprocessor.clip(32), null, ClipTokenizer.openai(), 16, 4, sampling, 1, 0, 2, 2, maxBad);
    }

    @Test
    void aWholeEpochOfBadSamplesEndsTheStream() throws IOException {
        CsvManifest m = CsvManifest.read(allMissing(18));
        for (Sampling s : new Sampling[]{Sampling.SEQUENTIAL, Sampling.PERMUTATION}) {
            try (BatchLoader l = loader(m, s, BatchLoader.DEFAULT_MAX_CONSECUTIVE_BAD)) {
                ClipException e = assertThrows(ClipException.class, l::next);
                assertTrue(e.getMessage().contains("not one usable sample in a whole epoch (18 samples"), e.getMessage());
                assertTrue(e.getMessage().contains("bad.tsv"), e.getMessage());
                assertEquals(18, l.skipped(), "exactly one epoch was tried");
            }
        }
    }

    @Test
    void consecutiveBadSamplesStopResampledStreams() throws IOException {
        CsvManifest m = CsvManifest.read(allMissing(18));
        try (BatchLoader l = loader(m, Sampling.RESAMPLED, 7)) {
            ClipException e = assertThrows(ClipException.class, l::next);
            assertTrue(e.getMessage().contains("7 unusable samples in a row"), e.getMessage());
            assertTrue(e.getMessage().contains("--max-consecutive-bad-samples"), e.getMessage());
            assertEquals(7, l.skipped());
        }
    }

    @Test
    void aFewBadSamplesAmongGoodOnesAreSkippedNotFatal() {
        // every third synthetic sample fails: never 3 in a row, never a whole epoch
        SyntheticSource good = new SyntheticSource(SyntheticShapes.training(1, 32), 12);
        ImageTextSource some = new ImageTextSource() {
            public long size() { return good.size(); }
            public String caption(long i) { return good.caption(i); }
            public org.clip4j.core.image.DecodedImage image(long i) {
                if (i % 3 == 0) throw new ClipException("sample " + i + " is bad");
                return good.image(i);
            }
            public String describe() { return "every third bad"; }
        };
        try (BatchLoader l = loader(some, Sampling.SEQUENTIAL, 2)) {
            for (int k = 0; k < 6; k++) l.next().close(); // 24 good samples = 3 epochs
            assertTrue(l.skipped() >= 12, "skipped " + l.skipped());
        }
    }

    @Test
    void repeatedWarningsAreRateLimited() {
        SkipWarnings w = new SkipWarnings(NOPLogger.NOP_LOGGER);
        int lines = 0;
        for (int i = 0; i < 2_500; i++) if (w.skipped(i, i, "bad")) lines++;
        // the first 10 one by one, then one line at 1,000 and 2,000
        assertEquals(SkipWarnings.FIRST + 2, lines);
        assertEquals(2_500, w.count());
    }
}
