package org.clip4j.train.data;

import org.slf4j.Logger;

/**
 * Rate-limited warnings for skipped samples: the first {@link #FIRST} one by one, then one line with the running
 * count every {@link #EVERY} skips, so that a data set full of bad files cannot flood the log (an all-bad
 * manifest once wrote 439 MB of identical warnings in five minutes).
 */
final class SkipWarnings {
    /** Skips logged individually. */
    static final int FIRST = 10;
    /** After the first ones, one summary line per this many skips. */
    static final int EVERY = 1000;

    private final Logger log;
    private long count;

    SkipWarnings(Logger log) {
        this.log = log;
    }

    /** Records one skipped sample and logs it if the rate allows; returns true when a line was logged. */
    boolean skipped(long index, long position, String reason) {
        count++;
        if (count <= FIRST) {
            log.warn("skipping sample {} (stream position {}): {}{}", index, position, reason,
                    count == FIRST ? " (further skips are counted, one line per " + EVERY + ")" : "");
            return true;
        }
        if (count % EVERY == 0) {
            log.warn("{} samples skipped so far; the latest: sample {} (stream position {}): {}", count, index, position, reason);
            return true;
        }
        return false;
    }

    /** Skips recorded so far. */
    long count() {
        return count;
    }
}
