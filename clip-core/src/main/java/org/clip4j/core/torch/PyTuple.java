package org.clip4j.core.torch;

import java.util.List;

/**
 * An unpickled Python tuple (immutable; elements may be null for {@code None}). Lists are {@code ArrayList}s,
 * dicts {@code LinkedHashMap}s, so a tuple needs its own type to be told apart from a list.
 *
 * @param items the elements in order
 */
public record PyTuple(List<Object> items) {
    /** Number of elements. */
    public int size() {
        return items.size();
    }

    /** Element {@code i}. */
    public Object get(int i) {
        return items.get(i);
    }

    @Override
    public String toString() {
        return "tuple of " + items.size();
    }
}
