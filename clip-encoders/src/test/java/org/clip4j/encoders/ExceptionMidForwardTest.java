package org.clip4j.encoders;

import org.clip4j.core.nn.Memcheck;
import org.clip4j.core.nn.Precision;
import org.clip4j.core.nn.Scope;
import org.clip4j.core.nn.Tensors;
import org.clip4j.core.safetensors.SafetensorsFile;
import org.clip4j.encoders.ThrowingForwardProbeMain.Mode;
import org.clip4j.encoders.ThrowingForwardProbeMain.Stop;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A forward that an exception stops half-way leaves no native memory behind: every array it created is closed
 * or back in the buffer pool once the exception has left it (and the caller has closed its tape). The exception
 * comes from a {@link org.clip4j.core.nn.Probe} that throws when a tower reports a chosen intermediate: at each
 * of the places the vit_tiny towers report one, in inference, with a tape, and with a tape and activation
 * recompute.
 *
 * <ul>
 *   <li><b>Memcheck</b> (on for the test suite): the call runs inside a caller's {@link Scope}, so every array
 *       created during it is recorded in some scope; a scope that closes with an array neither freed, returned
 *       nor saved is a violation, whether the layer's own scope or the caller's (code without a scope leaks into
 *       the caller's). After the call no violation is added, the caller's scope owns nothing, and the arrays
 *       owned by scopes and tape frames are back to their number before.</li>
 *   <li><b>Native memory</b>, without memcheck: many rounds of such calls in a child JVM that never collects
 *       garbage ({@link NativeMemory#childGrowth}). What the C allocator still holds after them is what was
 *       neither closed nor pooled.</li>
 * </ul>
 */
class ExceptionMidForwardTest {
    private static final int ROUNDS = 10;

    @Test
    void aForwardStoppedByAnExceptionLeavesNoArrayBehind() {
        assertTrue(Memcheck.ENABLED, "runs with -Dclip4j.memcheck=true (the parent pom sets it)");
        try (ClipModel m = ClipModel.load(Fixtures.dir().resolve("vit_tiny.safetensors"));
             SafetensorsFile e = SafetensorsFile.open(Fixtures.dir().resolve("vit_tiny.expected.safetensors"))) {
            INDArray image = e.floatArray("image"), text = e.array("text");
            List<String> problems = new ArrayList<>();
            int cases = 0;
            for (Precision p : new Precision[] {Precision.FP32, Precision.BF16}) {
                m.setPrecision(p);
                for (Mode mode : Mode.values()) {
                    for (String at : ThrowingForwardProbeMain.VISUAL_STOPS) {
                        check(m, at, mode, true, image, p, problems);
                        cases++;
                    }
                    for (String at : ThrowingForwardProbeMain.TEXT_STOPS) {
                        check(m, at, mode, false, text, p, problems);
                        cases++;
                    }
                }
            }
            m.setPrecision(Precision.FP32);
            assertEquals(2 * 3 * 9, cases);
            assertTrue(problems.isEmpty(), problems.size() + " of " + cases + " stopped forwards left arrays behind:\n"
                    + String.join("\n", problems));
            Tensors.release(image, text);
        }
    }

    private static void check(ClipModel m, String at, Mode mode, boolean visual, INDArray input, Precision p,
                              List<String> problems) {
        String what = (visual ? "image" : "text") + " tower, " + p + ", " + mode + ", stopped at " + at;
        int violations = Memcheck.violations().size(), owned = Memcheck.ownedCount();
        Stop stop;
        try (Scope caller = Scope.open()) { // tracks nothing: whatever was created in it and not freed is a leak
            stop = ThrowingForwardProbeMain.stopped(m, at, mode, visual, input);
        } catch (IllegalStateException leak) { // the caller's scope reports what leaked into it
            problems.add(what + ": " + leak.getMessage());
            return;
        }
        assertNull(Scope.current(), what + ": a scope was left open");
        if (stop.getSuppressed().length > 0) {
            problems.add(what + ": the exception carries " + Arrays.toString(stop.getSuppressed()));
        }
        List<String> now = Memcheck.violations();
        if (now.size() != violations) problems.add(what + ": " + now.subList(violations, now.size()));
        if (Memcheck.ownedCount() != owned) {
            problems.add(what + ": " + (Memcheck.ownedCount() - owned) + " array(s) still owned by a scope or tape frame");
        }
    }

    @Test
    void manyStoppedForwardsDoNotGrowNativeMemory() throws Exception {
        // Batch 128: one [N, tokens, W] activation of the image tower is 128·17·64·4 B = 557 KB, its patches
        // 128·16·192·4 B = 1.6 MB, an activation of the text tower 128·16·48·4 B = 393 KB. A round is 27 stopped
        // forwards, and each has such arrays in flight when it stops: leaving one per stopped forward of the image
        // tower alone adds 15 · 557 KB = 8.4 MB per round (the unconverted towers left 23 MB at batch 64). What
        // remains is what only the collector frees, which this child never runs: ND4J's small per-op buffers
        // (shape descriptors of views, op arguments) and the JVM's own native allocations while it compiles;
        // measured 1.4 MB per round at batch 8 and 1.3 to 3.8 MB at batch 128.
        long growth = NativeMemory.childGrowth(ThrowingForwardProbeMain.class, Fixtures.dir().toString(), "128", "4",
                Integer.toString(ROUNDS));
        long perRound = growth / ROUNDS;
        System.out.printf("  no-GC native growth over stopped forwards at batch 128: %+,d B per round%n", perRound);
        assertTrue(perRound < (6 << 20), "forwards stopped by an exception grow native memory by " + perRound
                + " bytes per round of 27 at batch 128: temporaries are left to the garbage collector");
    }
}
