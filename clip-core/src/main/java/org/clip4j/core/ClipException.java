package org.clip4j.core;

/**
 * Base class of the exceptions clip4j throws for bad input: a file, tensor or field that is not what was
 * expected. The message always names the offending item and what was expected instead.
 */
public class ClipException extends RuntimeException {
    public ClipException(String message) {
        super(message);
    }

    public ClipException(String message, Throwable cause) {
        super(message, cause);
    }
}
