package org.clip4j.eval;

import java.util.Locale;

/**
 * How {@link RetrievalMetrics} ranks the right answer among candidates with exactly the same score (identical
 * features: all-black images, repeated captions).
 */
public enum Ties {
    /**
     * The position of the right answer in {@code torch.argsort(scores, descending=True)} as PyTorch's CPU sort
     * orders equal values ({@link TorchArgsort}), which is what OpenCLIP's {@code get_clip_metrics} takes. The
     * default.
     */
    OPEN_CLIP,
    /** Ties in index order (a stable sort: {@code torch.argsort(..., stable=True)}): earlier candidates first. */
    STABLE,
    /** Every candidate scoring at least as high as the right answer ranks above it (the worst case). */
    PESSIMISTIC;

    /** The command-line name: {@code open_clip}, {@code stable} or {@code pessimistic}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code open_clip}, {@code stable} or {@code pessimistic} (any case, {@code -} for {@code _}). */
    public static Ties parse(String s) {
        String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        for (Ties t : values()) if (t.cliName().equals(v)) return t;
        throw new IllegalArgumentException("ties '" + s + "': expected open_clip, stable or pessimistic");
    }
}
