package org.clip4j.eval;

/** Receives progress of a long evaluation step ({@code done} of {@code total} items of {@code what}). */
@FunctionalInterface
public interface ProgressListener {
    /** Ignores progress. */
    ProgressListener NONE = (what, done, total) -> { };

    void update(String what, long done, long total);
}
