package org.clip4j.train.data;

import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class SyntheticShapesTest {
    @Test
    void samplesAreAPureFunctionOfSeedAndIndex() {
        SyntheticShapes a = SyntheticShapes.training(42, 64), b = SyntheticShapes.training(42, 64);
        for (long i : new long[]{0, 1, 17, 1_000_000_007L}) {
            SyntheticShapes.Sample x = a.sample(i), y = b.sample(i);
            assertEquals(x.caption(), y.caption());
            assertTrue(samePixels(x.image(), y.image()), "pixels of sample " + i);
        }
        assertFalse(samePixels(a.sample(0).image(), SyntheticShapes.training(43, 64).sample(0).image()));
    }

    @Test
    void heldOutCombinationsStayOutOfTraining() {
        SyntheticShapes train = SyntheticShapes.training(1, 32), test = SyntheticShapes.heldOutSplit(1, 32);
        assertEquals(20, train.labels().size());
        assertEquals(4, test.labels().size());
        assertEquals(24, SyntheticShapes.allLabels().size());
        Set<String> seenTrain = new HashSet<>(), seenTest = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            SyntheticShapes.Sample s = train.sample(i);
            assertFalse(SyntheticShapes.DEFAULT_HELD_OUT.contains(s.label()), s.label());
            assertTrue(s.caption().contains(s.color() + " " + s.shape()), s.caption());
            seenTrain.add(s.label());
            seenTest.add(test.sample(i).label());
        }
        assertEquals(new HashSet<>(train.labels()), seenTrain);
        assertEquals(SyntheticShapes.DEFAULT_HELD_OUT, seenTest);
    }

    @Test
    void theShapeIsDrawnInItsColour() {
        SyntheticShapes d = SyntheticShapes.training(5, 64);
        for (int i = 0; i < 50; i++) {
            SyntheticShapes.Sample s = d.sample(i);
            int[] want = switch (s.color()) {
                case "red" -> new int[]{220, 30, 30};
                case "green" -> new int[]{30, 170, 50};
                case "blue" -> new int[]{30, 70, 225};
                case "yellow" -> new int[]{235, 215, 20};
                case "purple" -> new int[]{140, 40, 180};
                default -> new int[]{245, 130, 20};
            };
            int close = 0;
            BufferedImage img = s.image();
            for (int y = 0; y < 64; y++) {
                for (int x = 0; x < 64; x++) {
                    int p = img.getRGB(x, y);
                    int dr = ((p >> 16) & 255) - want[0], dg = ((p >> 8) & 255) - want[1], db = (p & 255) - want[2];
                    if (Math.abs(dr) <= 12 && Math.abs(dg) <= 12 && Math.abs(db) <= 12) close++;
                }
            }
            assertTrue(close >= 30, "sample " + i + " (" + s.label() + ") has only " + close + " pixels of its colour");
        }
        assertThrows(IllegalArgumentException.class, () -> new SyntheticShapes(1, 32, Set.of("pink star"), false));
    }

    private static boolean samePixels(BufferedImage a, BufferedImage b) {
        if (a.getWidth() != b.getWidth() || a.getHeight() != b.getHeight()) return false;
        for (int y = 0; y < a.getHeight(); y++) for (int x = 0; x < a.getWidth(); x++) if (a.getRGB(x, y) != b.getRGB(x, y)) return false;
        return true;
    }
}
