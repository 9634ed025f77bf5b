package org.clip4j.eval.data;

import org.clip4j.core.image.ImagePreprocessor;

import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Labelled images for classification evaluation: image {@code i} (decoded on demand, RGB) and its class index
 * into {@link #classes()}.
 */
public interface ClassificationDataset {
    /** Number of images. */
    int size();

    /** Class names; labels index this list. */
    List<String> classes();

    /** Class index of image {@code i}. */
    int label(int i);

    /** Image {@code i} as an RGB image (grayscale sources are replicated to three channels). */
    BufferedImage image(int i);

    /** Image {@code i} through {@code pre}: {@code [3, R, R]} pixel values (file-backed sets decode the file there). */
    default float[] pixels(int i, ImagePreprocessor pre) {
        return pre.apply(image(i));
    }

    /** A short description for reports, e.g. {@code "fashion-mnist test (10,000 images)"}. */
    String describe();

    /** All labels. */
    default int[] labels() {
        int[] out = new int[size()];
        for (int i = 0; i < out.length; i++) out[i] = label(i);
        return out;
    }
}
