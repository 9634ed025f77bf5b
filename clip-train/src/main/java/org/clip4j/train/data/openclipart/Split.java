package org.clip4j.train.data.openclipart;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * A deterministic train/validation/test split: an item goes where the CRC-32 of its key (a relative path, UTF-8)
 * modulo 100 falls, below 80 train, below 90 validation, else test. The same key always lands in the same split,
 * whatever else is in the collection, so adding files never moves old ones.
 */
public enum Split {
    /** 80 % of the items. */
    TRAIN,
    /** 10 % of the items. */
    VAL,
    /** 10 % of the items. */
    TEST;

    /** The split of {@code key}. */
    public static Split of(String key) {
        CRC32 crc = new CRC32();
        crc.update(key.getBytes(StandardCharsets.UTF_8));
        long bucket = crc.getValue() % 100;
        return bucket < 80 ? TRAIN : bucket < 90 ? VAL : TEST;
    }

    /** The manifest file name: {@code train.tsv}, {@code val.tsv} or {@code test.tsv}. */
    public String fileName() {
        return name().toLowerCase(Locale.ROOT) + ".tsv";
    }
}
