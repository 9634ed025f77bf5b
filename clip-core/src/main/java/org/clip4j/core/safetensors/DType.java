package org.clip4j.core.safetensors;

/** The element types clip4j reads and writes in safetensors files, with their on-disk names. */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), U8(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int byteSize() {
        return bytes;
    }

    /** True for the floating-point types. */
    public boolean isFloat() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** Parses a header dtype string such as {@code "F32"}; returns null when it is not one clip4j knows. */
    static DType parse(String s) {
        for (DType t : values()) {
            if (t.name().equals(s)) return t;
        }
        return null;
    }
}
