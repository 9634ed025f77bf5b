package org.clip4j.cli;

import org.clip4j.core.tokenizer.PythonUtf8;

import java.io.IOException;
import java.io.InputStream;

/**
 * Lines of a byte stream as Python reads a text file: UTF-8 decoded with {@code errors="replace"} (each maximal
 * ill-formed subpart becomes one U+FFFD, as {@code bytes.decode("utf-8", "replace")}), and universal newlines:
 * {@code \n}, {@code \r\n} and a bare {@code \r} each end a line. The line ends are not part of the lines; a last
 * line without an end is a line, an empty stream has none. Splitting on bytes is safe because the bytes 0x0A and
 * 0x0D never occur inside a multi-byte UTF-8 sequence, so no replacement can span a line end.
 */
final class InputLines {
    private final InputStream in;
    private final byte[] buffer = new byte[1 << 16];
    private int pos;
    private int limit;
    /** A {@code \r} ended the previous line: a {@code \n} right after it belongs to that line end. */
    private boolean afterCr;
    private byte[] line = new byte[256];
    private long number;
    private int lastReplacements;

    InputLines(InputStream in) {
        this.in = in;
    }

    /** The next line, or {@code null} at the end of the stream. */
    String next() throws IOException {
        int length = 0;
        boolean any = false;
        while (true) {
            if (pos == limit) {
                limit = in.read(buffer, 0, buffer.length);
                pos = 0;
                if (limit <= 0) {
                    limit = 0;
                    if (!any) {
                        return null;
                    }
                    break;
                }
            }
            byte b = buffer[pos++];
            if (afterCr) {
                afterCr = false;
                if (b == '\n') {
                    continue; // the second half of "\r\n"
                }
            }
            any = true;
            if (b == '\n') {
                break;
            }
            if (b == '\r') {
                afterCr = true;
                break;
            }
            if (length == line.length) {
                line = java.util.Arrays.copyOf(line, length * 2);
            }
            line[length++] = b;
        }
        number++;
        StringBuilder text = new StringBuilder(length);
        lastReplacements = PythonUtf8.decode(line, 0, length, text);
        return text.toString();
    }

    /** 1-based number of the line {@link #next()} returned last. */
    long number() {
        return number;
    }

    /** Number of U+FFFD the last line got for ill-formed UTF-8 (0 if it was valid). */
    int replacements() {
        return lastReplacements;
    }
}
