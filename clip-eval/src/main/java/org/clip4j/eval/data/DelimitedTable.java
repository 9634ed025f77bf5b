package org.clip4j.eval.data;

import org.clip4j.core.ClipException;

import org.clip4j.core.io.IoErrors;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A UTF-8 table with a header line: tab-separated when the file name ends in {@code .tsv}, else comma-separated.
 * Both follow RFC 4180 quoting (a field that starts with a double quote may hold separators, line breaks and
 * doubled quotes), as pandas' {@code read_csv(sep='\t')} does for OpenCLIP's TSV manifests. Blank lines are
 * skipped; a line with the wrong number of fields is an error naming the file and line.
 *
 * <p>{@link #readRows} and {@link #parse} are the one delimited-text parser of clip4j: clip-train's manifests
 * read through them too.
 */
public record DelimitedTable(Path file, List<String> header, List<List<String>> rows) {
    /** Reads {@code file}; every row must have as many fields as the header (names stripped of blanks). */
    public static DelimitedTable read(Path file) {
        if (!Files.isRegularFile(file)) throw new ClipException(file + ": no such manifest file");
        List<List<String>> lines = readRows(file, null);
        List<String> header = lines.get(0).stream().map(String::strip).toList();
        List<List<String>> rows = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            List<String> r = lines.get(i);
            if (r.size() == 1 && r.get(0).isBlank()) continue; // a line of blanks
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

    /** The separator a file name implies: tab for {@code .tsv} (any case), else comma. */
    public static char defaultSeparator(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".tsv") ? '\t' : ',';
    }

    /**
     * The rows of UTF-8 {@code file} (a leading byte-order mark dropped), the header first, as {@link #parse} splits
     * them; {@code separator} null means {@link #defaultSeparator}. Rows may differ in length: callers check.
     * Throws a {@link ClipException} naming the file when it cannot be read, is empty or has an unterminated quote.
     */
    public static List<List<String>> readRows(Path file, Character separator) {
        String text = readUtf8(file);
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        List<List<String>> rows = parse(file, text, separator != null ? separator : defaultSeparator(file));
        if (rows.isEmpty()) throw new ClipException(file + ": empty manifest (expected a header line, then one row per item)");
        return rows;
    }

    /**
     * The text of UTF-8 {@code file}; an invalid byte sequence is an error naming the line and byte offset (Java's
     * own message, "Input length = 3", names neither).
     */
    static String readUtf8(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ClipException(file + ": cannot read manifest: " + IoErrors.reason(e), e);
        }
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = dec.decode(in, out, true);
        if (r.isError()) {
            int at = in.position(), line = 1;
            for (int i = 0; i < at; i++) if (bytes[i] == '\n') line++;
            StringBuilder hex = new StringBuilder();
            for (int i = at; i < Math.min(bytes.length, at + r.length()); i++) hex.append(String.format(" %02x", bytes[i] & 0xff));
            throw new ClipException(file + ": line " + line + " is not valid UTF-8 (byte offset " + at + ":" + hex
                    + "); save the manifest as UTF-8");
        }
        dec.flush(out);
        return out.flip().toString();
    }

    /**
     * RFC 4180 rows of {@code text} separated by {@code sep}: a double quote opens a quoted field only as a
     * field's first character (elsewhere it is literal, as in Python's csv module); inside one, {@code ""} is a
     * quote and separators and line breaks are kept. Lines end with LF, CRLF or CR. Blank lines are skipped.
     * {@code file} only names the source in the error for an unterminated quote.
     */
    public static List<List<String>> parse(Path file, String text, char sep) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false, fieldStarted = false;
        int line = 1;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    if (c == '\n') line++;
                    field.append(c);
                }
            } else if (c == '"' && !fieldStarted) {
                quoted = true;
                fieldStarted = true;
            } else if (c == sep) {
                row.add(field.toString());
                field.setLength(0);
                fieldStarted = false;
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') i++;
                endRow(rows, row, field, fieldStarted);
                row = new ArrayList<>();
                field.setLength(0);
                fieldStarted = false;
                line++;
            } else {
                field.append(c);
                fieldStarted = true;
            }
        }
        if (quoted) throw new ClipException(file + ": unterminated quoted field at line " + line);
        endRow(rows, row, field, fieldStarted);
        return rows;
    }

    /** Adds the row ending here unless the line was blank (no separator, no characters, no quotes). */
    private static void endRow(List<List<String>> rows, List<String> row, StringBuilder field, boolean fieldStarted) {
        if (row.isEmpty() && !fieldStarted) return;
        row.add(field.toString());
        rows.add(row);
    }
}
