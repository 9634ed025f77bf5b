package org.clip4j.cli;

import org.clip4j.core.nn.Conv2d;
import org.clip4j.core.nn.VectorApi;
import picocli.CommandLine;

import java.util.Locale;

/** {@code clip --version}: clip4j, ND4J, Java, how the ResNet convolutions run, and whether the Vector API is used. */
final class Versions implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String clip = ClipCommand.class.getPackage().getImplementationVersion();
        return new String[]{
                "clip4j " + (clip == null ? "(development build)" : clip),
                "ND4J 1.0.0-M2.1, Java " + System.getProperty("java.version")
                        + ", native build " + NativeBuild.describe(),
                "ResNet convolutions: " + Conv2d.defaultAlgorithm().name().toLowerCase(Locale.ROOT)
                        + " (-Dclip4j.conv=onednn|native|gemm|im2col)",
                "Vector API: " + VectorApi.describe()};
    }
}
