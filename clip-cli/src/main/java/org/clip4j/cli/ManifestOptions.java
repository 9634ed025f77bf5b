package org.clip4j.cli;

import picocli.CommandLine.Option;

/**
 * How a CSV/TSV manifest is read: {@code --csv-img-key} and {@code --csv-separator}, shared by {@code train},
 * {@code data shard} and {@code data resize} ({@link CaptionKeyOption} adds the caption column where captions are
 * read).
 */
final class ManifestOptions {
    @Option(names = "--csv-img-key", paramLabel = "COL", defaultValue = "filepath",
            description = "Manifest image column (default ${DEFAULT-VALUE}).")
    private String imageKey;

    @Option(names = "--csv-separator", paramLabel = "C",
            description = "Manifest separator (default: tab for .tsv, else comma; 'tab' or '\\t' for tab).")
    private String separator;

    /** The image column's name. */
    String imageKey() {
        return imageKey;
    }

    /**
     * The separator as one character ({@code tab} and {@code \t} mean a tab), or null for the default of the
     * manifest's extension; an {@link IllegalArgumentException} names {@code --csv-separator} otherwise.
     */
    Character separator() {
        if (separator == null) return null;
        String t = separator.equals("\\t") || separator.equalsIgnoreCase("tab") ? "\t" : separator;
        if (t.length() != 1) throw new IllegalArgumentException("--csv-separator '" + separator + "': expected one character");
        return t.charAt(0);
    }
}
