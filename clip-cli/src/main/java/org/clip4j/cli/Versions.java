package org.clip4j.cli;

import picocli.CommandLine;

/** {@code clip --version}: clip4j, ND4J, Java. */
final class Versions implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String clip = ClipCommand.class.getPackage().getImplementationVersion();
        return new String[]{
                "clip4j " + (clip == null ? "(development build)" : clip),
                "ND4J 1.0.0-M2.1, Java " + System.getProperty("java.version")
                        + ", native build " + NativeBuild.describe()};
    }
}
