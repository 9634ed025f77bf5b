package org.clip4j.core.torch;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An instance of a TorchScript class ({@code __torch__.*}) from a {@code torch.jit.save} archive, kept as an
 * opaque container: its class name and the attribute dict the pickle's BUILD gave it. No TorchScript code is
 * loaded or run; the attributes are plain unpickled values (tensors, numbers, strings, other objects).
 */
public final class TorchObject {
    private final String className;
    private final Map<String, Object> attributes = new LinkedHashMap<>();

    TorchObject(String className) {
        this.className = className;
    }

    /** The qualified TorchScript class name, e.g. {@code __torch__.clip.model.CLIP}. */
    public String className() {
        return className;
    }

    /** The attributes by name, in pickle order (a live view; the reader fills it). */
    public Map<String, Object> attributes() {
        return attributes;
    }

    @Override
    public String toString() {
        return className + " object";
    }
}
