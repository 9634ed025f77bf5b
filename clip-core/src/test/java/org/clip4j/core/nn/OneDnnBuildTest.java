package org.clip4j.core.nn;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The ResNet layers on ND4J's oneDNN build, where the native convolutions, BatchNorm and ReLU gradient run
 * oneDNN's kernels: tests run on the plain build, so a child JVM ({@link OneDnnProbeMain}) runs on the
 * {@code -onednn-*} jar found next to the plain one (as {@link NativeAllocatorTest}; skipped without it). It must
 * pick oneDNN's own binding by default ({@link Conv2d.Algorithm#ONEDNN}, which loads beside the build's statically
 * linked oneDNN), and both it and the native convolutions must agree with im2col on NCHW to float rounding.
 */
class OneDnnBuildTest {
    @Test
    void nativeAndOneDnnBlocksAgreeWithIm2colOnTheOneDnnBuild() throws Exception {
        String ext = NativeAllocatorTest.oneDnnExtension();
        assumeTrue(ext != null, "no oneDNN ND4J jar next to the plain one, or the CPU lacks its instructions");
        String cp = System.getProperty("java.class.path") + java.io.File.pathSeparator + NativeAllocatorTest.oneDnnJar(ext);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Dorg.bytedeco.javacpp.platform.extension=" + ext,
                "-cp", cp, OneDnnProbeMain.class.getName())).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "2");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "probe timed out");
        String def = null, rel = null;
        for (String line : out.split("\n")) {
            if (line.startsWith("DEFAULT ")) def = line.substring(8).trim();
            if (line.startsWith("MAXREL ")) rel = line.substring(7).trim();
        }
        assertTrue(rel != null, "probe (exit " + p.exitValue() + ") printed no MAXREL line:\n" + out);
        System.out.printf("  build %s: default conv %s, native and oneDNN channels-last vs im2col NCHW: max rel. %s%n",
                ext, def, rel);
        assertEquals("ONEDNN", def);
        // Float rounding: about 1e-7 in inference; training-mode BatchNorm gradients cancel, up to about 2e-5.
        assertTrue(Double.parseDouble(rel) < 1e-4, "native vs im2col differ by " + rel);
    }
}
