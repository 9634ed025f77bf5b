package org.clip4j.core.safetensors;

/** IEEE-754 binary16 and bfloat16 conversions (Java 17 has no Float.float16ToFloat). */
public final class HalfFloats {
    private HalfFloats() {
    }

    /** binary16 bits → float, exactly (every half value is a float). */
    public static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) { // inf or NaN: keep the payload's top bits
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) { // zero or subnormal: mant · 2^-24
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /** float → binary16 bits, rounding to nearest even; overflow gives infinity. */
    public static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) { // inf / NaN (a NaN keeps a non-zero mantissa)
            return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) return (short) (sign | 0x7c00);
        if (e <= 0) { // subnormal half or zero
            if (e < -10) return (short) sign;
            int m = mant | 0x800000; // implicit leading one
            int shift = 14 - e;      // so that the result is m · 2^-shift in units of 2^-24
            int half = m >>> shift;
            int rem = m & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) != 0)) half++;
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) half++; // may carry into the exponent: fine
        return (short) (sign | half);
    }

    /** bfloat16 bits → float: the upper half of a float. */
    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /** float → bfloat16 bits, rounding to nearest even (NaN stays NaN). */
    static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x40);
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7fff + lsb) >>> 16);
    }
}
