package org.clip4j.encoders;

import org.clip4j.core.nn.Tape;
import org.clip4j.core.nn.Tensors;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

/**
 * Child-process probe for {@link ExceptionMidForwardTest}: forwards of the vit_tiny towers that a probe stops
 * with an exception at each place where the towers report an intermediate, in inference, with a tape and with
 * a tape and activation recompute; prints the growth of C-allocator bytes in use ({@link NativeHeap}) over the
 * measured rounds. Usage: {@code ThrowingForwardProbeMain <fixtureDir> <batch multiple of 4> <warmup> <rounds>}.
 */
public final class ThrowingForwardProbeMain {
    /** The intermediates the image tower reports, first to last (the probe stops the forward at each). */
    static final List<String> VISUAL_STOPS = List.of("visual.conv1", "visual.ln_pre",
            "visual.transformer.resblocks.0", "visual.transformer.resblocks.1", "visual.ln_post");
    /** The same for the text tower. */
    static final List<String> TEXT_STOPS = List.of("token_embedding", "transformer.resblocks.0",
            "transformer.resblocks.1", "ln_final");

    /** What the probe throws: nothing else in a forward throws it. */
    static final class Stop extends RuntimeException {
        Stop(String at) {
            super("stopped at " + at, null, false, false);
        }
    }

    /** The three ways a forward runs. */
    enum Mode { INFERENCE, TAPE, TAPE_RECOMPUTE }

    private ThrowingForwardProbeMain() {
    }

    public static void main(String[] args) {
        NativeMemory.printGrowth(args, ThrowingForwardProbeMain::round);
    }

    /** Every stop of both towers in every mode: {@code 3 · (5 + 4)} forwards that throw. */
    static void round(ClipModel m, INDArray image, INDArray text) {
        for (Mode mode : Mode.values()) {
            for (String at : VISUAL_STOPS) stopped(m, at, mode, true, image);
            for (String at : TEXT_STOPS) stopped(m, at, mode, false, text);
        }
    }

    /**
     * One forward of a tower that the probe stops at {@code at}; the tape, if any, is closed by this caller as
     * any caller closes it. Returns the exception (a {@link Stop}, with whatever was suppressed).
     */
    static Stop stopped(ClipModel m, String at, Mode mode, boolean visual, INDArray input) {
        m.setProbe((name, value) -> {
            if (name.equals(at)) throw new Stop(at);
        });
        m.setActivationRecompute(mode == Mode.TAPE_RECOMPUTE);
        try (Tape tape = mode == Mode.INFERENCE ? null : new Tape()) {
            INDArray out = visual ? m.visual().forward(input, tape) : m.text().forward(input, tape);
            Tensors.release(out);
            throw new AssertionError("the probe did not stop the forward at " + at);
        } catch (Stop s) {
            return s;
        } finally {
            m.setProbe(null);
            m.setActivationRecompute(false);
        }
    }
}
