package org.clip4j.train.data;

import org.clip4j.core.image.DecodedImage;

/**
 * A random-access collection of image-text pairs. {@link #image(long)} may throw (a missing or corrupt file);
 * loaders skip such samples and count them.
 */
public interface ImageTextSource {
    /** Number of pairs. */
    long size();

    /** The caption of pair {@code index}. */
    String caption(long index);

    /** The decoded image of pair {@code index}; throws a {@link org.clip4j.core.ClipException} naming the file. */
    DecodedImage image(long index);

    /** A short description for logs and provenance (e.g. the manifest path). */
    String describe();
}
