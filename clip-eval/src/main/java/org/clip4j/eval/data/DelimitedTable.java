package org.clip4j.eval.data;

import org.clip4j.core.ClipException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A UTF-8 table with a header line: tab-separated (no quoting) when the file name ends in {@code .tsv}, else
 * comma-separated with RFC 4180 double quotes. Blank lines are skipped; a line with the wrong number of fields
 * is an error naming the file and line.
 */
public record DelimitedTable(Path file, List<String> header, List<List<String>> rows) {
    /** Reads {@code file}. */
    public static DelimitedTable read(Path file) {
        if (!Files.isRegularFile(file)) throw new ClipException(file + ": no such manifest file");
        boolean tsv = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".tsv");
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ClipException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        List<List<String>> lines = tsv ? splitTsv(text) : splitCsv(text, file);
        if (lines.isEmpty()) throw new ClipException(file + ": empty (expected a header line, then one row per image)");
        List<String> header = lines.get(0).stream().map(String::strip).toList();
        List<List<String>> rows = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            List<String> r = lines.get(i);
            if (r.size() != header.size()) {
                throw new ClipException(file + ": row " + (i + 1) + " has " + r.size() + " fields, the header has "
                        + header.size() + " " + header);
            }
            rows.add(r);
        }
        return new DelimitedTable(file, header, rows);
    }

    /** Index of the first header name (case-insensitive) among {@code names}; an error lists what there is. */
    public int column(String what, String... names) {
        for (String n : names) {
            for (int i = 0; i < header.size(); i++) if (header.get(i).equalsIgnoreCase(n)) return i;
        }
        throw new ClipException(file + ": no " + what + " column (looked for " + String.join(", ", names)
                + "; the header has " + header + ")");
    }

    private static List<List<String>> splitTsv(String text) {
        List<List<String>> out = new ArrayList<>();
        for (String line : text.split("\r?\n")) {
            if (line.isBlank()) continue;
            out.add(List.of(line.split("\t", -1)));
        }
        return out;
    }

    private static List<List<String>> splitCsv(String text, Path file) {
        List<List<String>> out = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false, any = false;
        int line = 1;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (quoted) {
                if (ch == '"') {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    if (ch == '\n') line++;
                    field.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
                any = true;
            } else if (ch == ',') {
                row.add(field.toString());
                field.setLength(0);
                any = true;
            } else if (ch == '\n' || ch == '\r') {
                if (ch == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') i++;
                if (any || field.length() > 0) {
                    row.add(field.toString());
                    out.add(row);
                }
                row = new ArrayList<>();
                field.setLength(0);
                any = false;
                line++;
            } else {
                field.append(ch);
            }
        }
        if (quoted) throw new ClipException(file + ": unterminated quoted field (line " + line + ")");
        if (any || field.length() > 0) {
            row.add(field.toString());
            out.add(row);
        }
        return out;
    }
}
