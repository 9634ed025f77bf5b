package org.clip4j.encoders;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;

import java.util.Arrays;
import java.util.List;

/**
 * Bytes currently allocated with the C allocator (glibc {@code mallinfo}: in-use arena bytes + mmap'd blocks).
 * ND4J's CPU backend allocates array buffers there and frees them on {@code close()}; the Java heap is not
 * included, so the number isolates native arrays from garbage-collector noise. JNA comes with nd4j-api.
 */
final class NativeHeap {
    private NativeHeap() {
    }

    /** glibc's {@code struct mallinfo} (int fields). */
    public static class MallInfo extends Structure {
        public int arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;

        @Override
        protected List<String> getFieldOrder() {
            return Arrays.asList("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
                    "fordblks", "keepcost");
        }

        public static class ByValue extends MallInfo implements Structure.ByValue {
        }
    }

    /** The C library's allocator statistics. */
    public interface CLib extends Library {
        MallInfo.ByValue mallinfo();
    }

    private static final CLib C = Native.loadLibrary("c", CLib.class);

    /** Bytes in use (unsigned 32-bit fields widened). */
    static long inUse() {
        MallInfo.ByValue m = C.mallinfo();
        return (m.uordblks & 0xffffffffL) + (m.hblkhd & 0xffffffffL);
    }
}
