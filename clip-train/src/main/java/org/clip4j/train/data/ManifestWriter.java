package org.clip4j.train.data;

import org.clip4j.core.ClipException;
import org.clip4j.core.io.AtomicFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a delimited manifest that {@link CsvManifest} reads back: a header row, then one row per item; a field
 * holding the separator, a line break or a double quote is quoted (RFC 4180, quotes doubled). The file is written
 * atomically.
 */
public final class ManifestWriter {
    private ManifestWriter() {
    }

    /** Writes {@code header} and {@code rows} (each as long as the header) to {@code file}, tab-separated. */
    public static void writeTsv(Path file, List<String> header, List<List<String>> rows) {
        write(file, '\t', header, rows);
    }

    /** Writes {@code header} and {@code rows} (each as long as the header) to {@code file}, separated by {@code sep}. */
    public static void write(Path file, char sep, List<String> header, List<List<String>> rows) {
        StringBuilder sb = new StringBuilder();
        appendRow(sb, header, sep);
        for (List<String> row : rows) {
            if (row.size() != header.size()) {
                throw new IllegalArgumentException("row " + row + " has " + row.size() + " fields, the header " + header.size());
            }
            appendRow(sb, row, sep);
        }
        try {
            AtomicFile.writeString(file, sb.toString());
        } catch (IOException e) {
            throw new ClipException(file + ": cannot write manifest: " + e.getMessage(), e);
        }
    }

    private static void appendRow(StringBuilder sb, List<String> fields, char sep) {
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) sb.append(sep);
            String f = fields.get(i);
            if (f.indexOf(sep) >= 0 || f.indexOf('\n') >= 0 || f.indexOf('\r') >= 0 || f.indexOf('"') >= 0) {
                sb.append('"').append(f.replace("\"", "\"\"")).append('"');
            } else {
                sb.append(f);
            }
        }
        sb.append('\n');
    }
}
