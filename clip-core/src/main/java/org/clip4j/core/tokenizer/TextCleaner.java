package org.clip4j.core.tokenizer;

/**
 * The reference's text cleaning, {@code whitespace_clean(basic_clean(text)).lower()}:
 * <ol>
 *   <li>{@code ftfy.fix_text} ({@link Ftfy}, following ftfy 6.3.1, the version the reference's users install):
 *       mojibake repair, HTML entities ending in {@code ;} (repeated until nothing changes, so
 *       {@code "&amp;amp;amp;"} becomes {@code "&"}; not in a line holding {@code <} nor after it), curly quotes,
 *       Latin ligatures, full-width forms, line breaks, surrogates, ANSI escapes, control characters, NFC. It can
 *       be turned off ({@link ClipTokenizer#withFtfy}); the steps below then see the raw text.</li>
 *   <li>{@code html.unescape} applied twice ({@link HtmlUnescape}): web captions are often escaped twice, so
 *       without ftfy {@code "&amp;amp;"} becomes {@code "&"} and a third level stays escaped
 *       ({@code "&amp;amp;amp;"} → {@code "&amp;"}).</li>
 *   <li>{@code strip()} ({@link PythonWhitespace#strip}).</li>
 *   <li>Every whitespace run becomes one space, then {@code strip()} again ({@link PythonWhitespace}).</li>
 *   <li>Python's {@code str.lower()} ({@link PythonCase}), independent of the JVM locale.</li>
 * </ol>
 */
final class TextCleaner {
    private TextCleaner() {
    }

    /** The full cleaning: {@code whitespace_clean(basic_clean(text)).lower()}, with ftfy. */
    static String clean(String text) {
        return clean(text, true);
    }

    /** The full cleaning, with or without {@code ftfy.fix_text}. */
    static String clean(String text, boolean ftfy) {
        return PythonCase.lower(whitespaceClean(basicClean(ftfy ? Ftfy.fixText(text) : text)));
    }

    /** {@code basic_clean} after {@code fix_text}: {@code html.unescape} twice, {@code strip()}. */
    static String basicClean(String text) {
        return PythonWhitespace.strip(HtmlUnescape.unescape(HtmlUnescape.unescape(text)));
    }

    /** {@code whitespace_clean}: whitespace runs to one space, then {@code strip()}. */
    static String whitespaceClean(String text) {
        return PythonWhitespace.strip(PythonWhitespace.collapse(text));
    }
}
