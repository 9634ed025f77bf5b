package org.clip4j.train.data.wds;

/**
 * Where one regular file of an uncompressed tar lies: its member name, the offset of its data from the start of
 * the archive, and its length in bytes.
 */
public record TarMember(String name, long offset, long length) {
}
