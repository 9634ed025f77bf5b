package org.clip4j.train.data.wds;

import org.clip4j.core.ClipException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ShardPatternTest {
    @Test
    void numericRangesPadLikeBraceexpand() {
        assertEquals(List.of("d/000008.tar", "d/000009.tar", "d/000010.tar"), ShardPattern.expand("d/{000008..000010}.tar"));
        assertEquals(List.of("8", "9", "10"), ShardPattern.expand("{8..10}"));
        assertEquals(List.of("3", "2", "1"), ShardPattern.expand("{3..1}"));
        assertEquals(List.of("0", "4", "8"), ShardPattern.expand("{0..9..4}"));
        assertEquals(List.of("08", "09", "10"), ShardPattern.expand("{08..10}"));
        assertEquals(List.of("a", "b", "c"), ShardPattern.expand("{a..c}"));
    }

    @Test
    void alternativesNestingLiteralsAndEscapes() {
        assertEquals(List.of("train-0.tar", "train-1.tar", "val-0.tar", "val-1.tar"),
                ShardPattern.expand("{train,val}-{0..1}.tar"));
        assertEquals(List.of("a", "b1", "b2", "c"), ShardPattern.expand("{a,b{1,2},c}"));
        assertEquals(List.of("{x}.tar"), ShardPattern.expand("{x}.tar"));
        assertEquals(List.of("{1..2}"), ShardPattern.expand("\\{1..2}"));
        assertEquals(List.of("no-braces.tar"), ShardPattern.expand("no-braces.tar"));
    }

    @Test
    void doubleColonJoinsPatterns() {
        assertEquals(List.of("a/0.tar", "a/1.tar", "b/x.tar"), ShardPattern.expandAll("a/{0..1}.tar::b/x.tar"));
        ClipException e = assertThrows(ClipException.class, () -> ShardPattern.expandAll("a.tar::"));
        assertTrue(e.getMessage().contains("empty part"), e.getMessage());
    }

    @Test
    void shardSpecsAreToldFromManifests() {
        assertTrue(ShardPattern.looksLikeShards("data/{000000..000009}.tar"));
        assertTrue(ShardPattern.looksLikeShards("one.TAR"));
        assertTrue(ShardPattern.looksLikeShards("m.tsv::x/{0..3}"));
        assertFalse(ShardPattern.looksLikeShards("train.tsv"));
        assertFalse(ShardPattern.looksLikeShards("synthetic:100"));
    }
}
