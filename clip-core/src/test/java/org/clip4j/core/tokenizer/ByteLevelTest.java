package org.clip4j.core.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** bytes_to_unicode. */
class ByteLevelTest {
    @Test
    void printableBytesMapToThemselvesOthersFromU0100() {
        assertEquals('!', ByteLevel.symbol('!'));
        assertEquals('\u00ff', ByteLevel.symbol(0xFF));
        assertEquals('\u0100', ByteLevel.symbol(0x00));
        assertEquals('\u0120', ByteLevel.symbol(' ')); // 'Ġ'
        assertEquals('\u0143', ByteLevel.symbol(0xAD)); // the 68th non-printable byte
    }

    @Test
    void vocabularyOrderIsPrintableFirst() {
        assertEquals('!', ByteLevel.byteAt(0));
        assertEquals(0xFF, ByteLevel.byteAt(187));
        assertEquals(0x00, ByteLevel.byteAt(188));
        assertEquals(0xAD, ByteLevel.byteAt(255));
    }

    @Test
    void mappingIsABijectionOntoNonSpaceCharacters() {
        Set<Character> seen = new HashSet<>();
        Set<Integer> bytes = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            char c = ByteLevel.symbol(b);
            assertTrue(seen.add(c));
            assertEquals(b, ByteLevel.byteOf(c));
            assertFalse(Character.isWhitespace(c) || Character.isISOControl(c), "symbol of " + b);
            bytes.add(ByteLevel.byteAt(b));
        }
        assertEquals(256, bytes.size());
        assertEquals(-1, ByteLevel.byteOf('\u0144'));
        assertEquals(-1, ByteLevel.byteOf(' '));
    }
}
