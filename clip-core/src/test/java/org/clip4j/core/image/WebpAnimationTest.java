package org.clip4j.core.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Animated WebP files as Pillow 9.4 shows them (the first frame, libwebp 1.2.4's WebPAnimDecoder), bit for bit: the
 * cases of {@code src/test/scripts/gen_webp_anim_cases.py} — animations saved by Pillow (lossy RGB and RGBA,
 * lossless) and hand-made ones whose first frame is smaller than the canvas, at an offset, with and without alpha —
 * and clear errors for broken ones. Before, a lossy animation went to ImageIO, whose VP8 decoder was up to 72
 * levels off.
 */
class WebpAnimationTest {
    private static Path dir() {
        return Fixtures.resourceFolder("webp-anim/webp_anim_cases.json");
    }

    @TestFactory
    List<DynamicTest> firstFrameAsPillowShowsIt() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : new ObjectMapper().readTree(dir().resolve("webp_anim_cases.json").toFile()).get("cases")) {
            String file = c.get("file").asText();
            tests.add(DynamicTest.dynamicTest(file + " (" + c.get("how").asText() + ")", () -> {
                Path path = dir().resolve(file);
                byte[] data = Files.readAllBytes(path);
                assertEquals(c.get("lossy_first_frame").asBoolean(), WebpLossy.isAnimatedLossy(data),
                        "routed to the VP8 decoder when the first frame is lossy");
                assertTrue(!WebpLossy.isStillLossy(data), "not a still image");
                DecodedImage d = ImageDecoder.read(path);
                assertEquals(c.get("mode").asText(), d.mode().pillowName(), "Pillow mode");
                assertEquals(c.get("width").asInt(), d.width(), "width");
                assertEquals(c.get("height").asInt(), d.height(), "height");
                byte[] expected = Files.readAllBytes(dir().resolve(file.replace(".webp", ".pixels")));
                Fixtures.assertBytesEqual(expected, d.samples(), d.width(), d.channels(), file);
            }));
        }
        assertEquals(7, tests.size(), "the generated cases");
        return tests;
    }

    @Test
    void brokenAnimationsGetClearErrors() throws IOException {
        byte[] good = Files.readAllBytes(dir().resolve("offset_rgb_24x20_at_6_4_on_40x30.webp"));
        int anmf = indexOf(good, "ANMF");
        // the frame's width field made 40: 40 columns at x = 6 do not fit the 40-pixel canvas
        byte[] wide = good.clone();
        wide[anmf + 14] = 39;
        var e = assertThrows(ImageDecodeException.class, () -> ImageDecoder.decode(wide, "wide.webp"));
        assertTrue(e.getMessage().contains("wide.webp") && e.getMessage().contains("does not fit the 40x30 canvas"),
                e.getMessage());
        // the ANMF chunk cut inside its VP8 data (RIFF size fixed up so that only the chunk is short)
        byte[] cut = Arrays.copyOf(good, anmf + 8 + 16 + 20);
        int riff = cut.length - 8;
        cut[4] = (byte) riff;
        cut[5] = (byte) (riff >> 8);
        cut[6] = 0;
        cut[7] = 0;
        e = assertThrows(ImageDecodeException.class, () -> ImageDecoder.decode(cut, "cut.webp"));
        assertTrue(e.getMessage().contains("cut.webp") && e.getMessage().contains("truncated WebP animation"),
                e.getMessage());
        // a frame whose VP8 image is not the size its ANMF header says
        byte[] other = good.clone();
        other[anmf + 17] = 18;                                        // height 19 instead of 20
        e = assertThrows(ImageDecodeException.class, () -> ImageDecoder.decode(other, "other.webp"));
        assertTrue(e.getMessage().contains("ANMF frame is 24x19 but its VP8 image is 24x20"), e.getMessage());
    }

    private static int indexOf(byte[] d, String tag) {
        for (int i = 12; i + 4 <= d.length; i++) {
            if (d[i] == tag.charAt(0) && d[i + 1] == tag.charAt(1) && d[i + 2] == tag.charAt(2) && d[i + 3] == tag.charAt(3)) {
                return i;
            }
        }
        throw new AssertionError("no " + tag + " chunk");
    }
}
