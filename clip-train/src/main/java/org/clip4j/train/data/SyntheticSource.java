package org.clip4j.train.data;

import org.clip4j.core.image.DecodedImage;
import org.clip4j.core.image.ImageDecoder;

/** {@link SyntheticShapes} as an {@link ImageTextSource} of a given length. */
public final class SyntheticSource implements ImageTextSource {
    private final SyntheticShapes shapes;
    private final long size;

    public SyntheticSource(SyntheticShapes shapes, long size) {
        this.shapes = shapes;
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public String caption(long index) {
        return shapes.sample(index).caption();
    }

    @Override
    public DecodedImage image(long index) {
        return ImageDecoder.fromBufferedImage(shapes.sample(index).image());
    }

    /** Both at once (renders once). */
    public SyntheticShapes.Sample sample(long index) {
        return shapes.sample(index);
    }

    @Override
    public String describe() {
        return "synthetic shapes (" + size + " samples, " + shapes.imageSize() + " px, held out " + new java.util.TreeSet<>(shapes.heldOut()) + ")";
    }
}
