package org.clip4j.core.image;

import org.clip4j.core.ClipException;

/**
 * An image file could not be decoded: missing, empty, truncated, corrupt, too large, or in an unsupported format.
 * The message names the file and what was wrong.
 */
public class ImageDecodeException extends ClipException {
    /** An exception with {@code message} (which names the file). */
    public ImageDecodeException(String message) {
        super(message);
    }

    /** An exception with {@code message} (which names the file) caused by {@code cause}. */
    public ImageDecodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
