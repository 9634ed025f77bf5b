package org.clip4j.cli;

import picocli.CommandLine.Option;

/** {@code --csv-caption-key}: the caption column of a manifest, for {@code train} and {@code data shard}. */
final class CaptionKeyOption {
    @Option(names = "--csv-caption-key", paramLabel = "COL", defaultValue = "title",
            description = "Manifest caption column (default ${DEFAULT-VALUE}).")
    private String captionKey;

    /** The caption column's name. */
    String captionKey() {
        return captionKey;
    }
}
