package org.clip4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A command-line reference to one tensor: {@code FILE.safetensors[#NAME]}. A path that exists as given is taken
 * whole (so file names may contain '#'); otherwise the part after the last '#' names the tensor.
 *
 * @param file the safetensors file
 * @param name the tensor name
 */
record TensorRef(Path file, String name) {
    /** Parses {@code spec}, with {@code defaultName} when no {@code #NAME} is given. */
    static TensorRef parse(String spec, String defaultName) {
        int hash = spec.lastIndexOf('#');
        if (hash < 0 || Files.exists(Path.of(spec)) || hash == spec.length() - 1) {
            return new TensorRef(Path.of(hash == spec.length() - 1 ? spec.substring(0, hash) : spec), defaultName);
        }
        return new TensorRef(Path.of(spec.substring(0, hash)), spec.substring(hash + 1));
    }

    @Override
    public String toString() {
        return file + "#" + name;
    }
}
