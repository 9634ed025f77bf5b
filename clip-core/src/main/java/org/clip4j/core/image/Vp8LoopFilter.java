package org.clip4j.core.image;

/**
 * The VP8 in-loop deblocking filters (RFC 6386 section 15) with libwebp 1.2.4's arithmetic, applied to one
 * macroblock in libwebp's order: left edge, inner vertical edges, top edge, inner horizontal edges (luma, then the
 * two chroma planes for the normal filter). {@code limit} is libwebp's {@code 2 * level + ilevel}.
 */
final class Vp8LoopFilter {
    /** Clamps to -128..127 (libwebp's sclip1). */
    private static int sclip1(int v) {
        return v < -128 ? -128 : Math.min(v, 127);
    }

    /** Clamps to -16..15 (libwebp's sclip2). */
    private static int sclip2(int v) {
        return v < -16 ? -16 : Math.min(v, 15);
    }

    private static byte clip1(int v) {
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    private static int u(byte[] b, int i) {
        return b[i] & 0xff;
    }

    // ---- per-pixel filters on the edge between p[-step] and p[0] ----

    private static void filter2(byte[] b, int p, int step) {
        int p1 = u(b, p - 2 * step), p0 = u(b, p - step), q0 = u(b, p), q1 = u(b, p + step);
        int a = 3 * (q0 - p0) + sclip1(p1 - q1);
        int a1 = sclip2((a + 4) >> 3);
        int a2 = sclip2((a + 3) >> 3);
        b[p - step] = clip1(p0 + a2);
        b[p] = clip1(q0 - a1);
    }

    private static void filter4(byte[] b, int p, int step) {
        int p1 = u(b, p - 2 * step), p0 = u(b, p - step), q0 = u(b, p), q1 = u(b, p + step);
        int a = 3 * (q0 - p0);
        int a1 = sclip2((a + 4) >> 3);
        int a2 = sclip2((a + 3) >> 3);
        int a3 = (a1 + 1) >> 1;
        b[p - 2 * step] = clip1(p1 + a3);
        b[p - step] = clip1(p0 + a2);
        b[p] = clip1(q0 - a1);
        b[p + step] = clip1(q1 - a3);
    }

    private static void filter6(byte[] b, int p, int step) {
        int p2 = u(b, p - 3 * step), p1 = u(b, p - 2 * step), p0 = u(b, p - step);
        int q0 = u(b, p), q1 = u(b, p + step), q2 = u(b, p + 2 * step);
        int a = sclip1(3 * (q0 - p0) + sclip1(p1 - q1));
        int a1 = (27 * a + 63) >> 7;
        int a2 = (18 * a + 63) >> 7;
        int a3 = (9 * a + 63) >> 7;
        b[p - 3 * step] = clip1(p2 + a3);
        b[p - 2 * step] = clip1(p1 + a2);
        b[p - step] = clip1(p0 + a1);
        b[p] = clip1(q0 - a1);
        b[p + step] = clip1(q1 - a2);
        b[p + 2 * step] = clip1(q2 - a3);
    }

    private static boolean hev(byte[] b, int p, int step, int thresh) {
        int p1 = u(b, p - 2 * step), p0 = u(b, p - step), q0 = u(b, p), q1 = u(b, p + step);
        return Math.abs(p1 - p0) > thresh || Math.abs(q1 - q0) > thresh;
    }

    private static boolean needsFilter(byte[] b, int p, int step, int t) {
        int p1 = u(b, p - 2 * step), p0 = u(b, p - step), q0 = u(b, p), q1 = u(b, p + step);
        return 4 * Math.abs(p0 - q0) + Math.abs(p1 - q1) <= t;
    }

    private static boolean needsFilter2(byte[] b, int p, int step, int t, int it) {
        int p3 = u(b, p - 4 * step), p2 = u(b, p - 3 * step), p1 = u(b, p - 2 * step), p0 = u(b, p - step);
        int q0 = u(b, p), q1 = u(b, p + step), q2 = u(b, p + 2 * step), q3 = u(b, p + 3 * step);
        if (4 * Math.abs(p0 - q0) + Math.abs(p1 - q1) > t) return false;
        return Math.abs(p3 - p2) <= it && Math.abs(p2 - p1) <= it && Math.abs(p1 - p0) <= it
                && Math.abs(q3 - q2) <= it && Math.abs(q2 - q1) <= it && Math.abs(q1 - q0) <= it;
    }

    // ---- edges ----

    /** Simple filter along one 16-sample edge: {@code hstride} crosses the edge, {@code vstride} runs along it. */
    private static void simpleEdge(byte[] b, int p, int hstride, int vstride, int thresh) {
        int thresh2 = 2 * thresh + 1;
        for (int i = 0; i < 16; i++) {
            int q = p + i * vstride;
            if (needsFilter(b, q, hstride, thresh2)) filter2(b, q, hstride);
        }
    }

    /** Normal filter along one edge of {@code size} samples; {@code mbEdge} selects the 6-tap macroblock filter. */
    private static void edge(byte[] b, int p, int hstride, int vstride, int size, int thresh, int ithresh,
                             int hevThresh, boolean mbEdge) {
        int thresh2 = 2 * thresh + 1;
        for (int i = 0; i < size; i++) {
            int q = p + i * vstride;
            if (needsFilter2(b, q, hstride, thresh2, ithresh)) {
                if (hev(b, q, hstride, hevThresh)) filter2(b, q, hstride);
                else if (mbEdge) filter6(b, q, hstride);
                else filter4(b, q, hstride);
            }
        }
    }

    /** Simple filter of the luma macroblock at {@code y} (top-left sample). */
    void simpleMb(byte[] y, int yOff, int stride, int limit, boolean left, boolean top, boolean inner) {
        if (left) simpleEdge(y, yOff, 1, stride, limit + 4);
        if (inner) for (int k = 1; k <= 3; k++) simpleEdge(y, yOff + 4 * k, 1, stride, limit);
        if (top) simpleEdge(y, yOff, stride, 1, limit + 4);
        if (inner) for (int k = 1; k <= 3; k++) simpleEdge(y, yOff + 4 * k * stride, stride, 1, limit);
    }

    /** Normal filter of one macroblock: luma at {@code yOff}, chroma at {@code uvOff}. */
    void complexMb(byte[] y, byte[] u, byte[] v, int yOff, int uvOff, int yStride, int uvStride, int limit,
                   int ilevel, int hevThresh, boolean left, boolean top, boolean inner) {
        if (left) {
            edge(y, yOff, 1, yStride, 16, limit + 4, ilevel, hevThresh, true);
            edge(u, uvOff, 1, uvStride, 8, limit + 4, ilevel, hevThresh, true);
            edge(v, uvOff, 1, uvStride, 8, limit + 4, ilevel, hevThresh, true);
        }
        if (inner) {
            for (int k = 1; k <= 3; k++) edge(y, yOff + 4 * k, 1, yStride, 16, limit, ilevel, hevThresh, false);
            edge(u, uvOff + 4, 1, uvStride, 8, limit, ilevel, hevThresh, false);
            edge(v, uvOff + 4, 1, uvStride, 8, limit, ilevel, hevThresh, false);
        }
        if (top) {
            edge(y, yOff, yStride, 1, 16, limit + 4, ilevel, hevThresh, true);
            edge(u, uvOff, uvStride, 1, 8, limit + 4, ilevel, hevThresh, true);
            edge(v, uvOff, uvStride, 1, 8, limit + 4, ilevel, hevThresh, true);
        }
        if (inner) {
            for (int k = 1; k <= 3; k++) {
                edge(y, yOff + 4 * k * yStride, yStride, 1, 16, limit, ilevel, hevThresh, false);
            }
            edge(u, uvOff + 4 * uvStride, uvStride, 1, 8, limit, ilevel, hevThresh, false);
            edge(v, uvOff + 4 * uvStride, uvStride, 1, 8, limit, ilevel, hevThresh, false);
        }
    }
}
