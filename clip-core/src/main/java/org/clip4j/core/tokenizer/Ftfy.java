package org.clip4j.core.tokenizer;

/** Placeholder, replaced below. */
final class Ftfy {
    private Ftfy() {
    }

    static String fixText(String text) {
        return text;
    }
}
