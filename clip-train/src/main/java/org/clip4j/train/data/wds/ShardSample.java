package org.clip4j.train.data.wds;

/**
 * One WebDataset sample inside a shard: the consecutive members sharing a key (the member path up to the first dot
 * of its file name). Any member may be missing (null); such a sample fails when read and the loader skips it.
 *
 * @param key      the shared key, e.g. {@code 000000012} or {@code dir/000000012}
 * @param image    the {@code jpg}, {@code jpeg}, {@code png} or {@code webp} member
 * @param text     the {@code txt} member (the caption)
 * @param metadata the {@code json} member
 */
public record ShardSample(String key, TarMember image, TarMember text, TarMember metadata) {
}
