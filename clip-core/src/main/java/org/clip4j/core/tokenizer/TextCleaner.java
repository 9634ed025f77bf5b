package org.clip4j.core.tokenizer;

/**
 * The reference's text cleaning, {@code whitespace_clean(basic_clean(text)).lower()}:
 * <ol>
 *   <li>{@code ftfy.fix_text}: treated as the identity. ftfy is a large heuristic mojibake fixer with no Java
 *       port; the reference fixtures were produced with an identity stub and every fixture string was checked
 *       to give the same ids with the real ftfy 6.3.1. Text with mojibake or unusual control characters may
 *       therefore tokenize differently than with the real ftfy.</li>
 *   <li>{@code html.unescape} applied twice ({@link HtmlUnescape}): web captions are often escaped twice, so
 *       {@code "&amp;amp;"} becomes {@code "&"}; a third level stays escaped ({@code "&amp;amp;amp;"} →
 *       {@code "&amp;"}).</li>
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
