package org.clip4j.core.image;

/**
 * Decodes a VP8 key frame (the image data of a lossy WebP, RFC 6386) into its Y, U and V planes with the
 * arithmetic of libwebp 1.2.4 (the decoder behind Pillow 9.4): same header parsing, token decoding,
 * dequantisation (including its 16-bit coefficient storage), intra prediction with libwebp's edge samples
 * (127 above the frame, 129 left of it, the above-right samples of the macroblock repeated for the right column of
 * 4x4 blocks), inverse transforms, and in-loop filter applied macroblock by macroblock in raster order.
 * Prediction reads unfiltered samples, as in libwebp. Dithering (off by default in libwebp) is not done.
 *
 * <p>The planes cover whole macroblocks: {@link Frame#yStride} = 16 × macroblock columns, chroma half that.
 */
final class Vp8Decoder {
    /**
     * A decoded frame: planes of whole macroblocks, of which the top-left {@code width × height} is the image;
     * {@code partitions} is the number of DCT-token partitions the stream used.
     */
    record Frame(int width, int height, byte[] y, byte[] u, byte[] v, int yStride, int uvStride, int partitions) {
    }

    // Prediction modes, numbered as in libwebp (and its probability tables).
    private static final int B_DC = 0, B_TM = 1, B_VE = 2, B_HE = 3, B_RD = 4, B_VR = 5, B_LD = 6, B_VL = 7,
            B_HD = 8, B_HU = 9;
    private static final int DC_NOTOP = 4, DC_NOLEFT = 5, DC_NOTOPLEFT = 6;

    private static final int[] ZIGZAG = {0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15};
    private static final int[] BANDS = {0, 1, 2, 3, 6, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 0};
    private static final int[][] CAT_PROBS = {
            {173, 148, 140}, {176, 155, 140, 135}, {180, 157, 141, 134, 130},
            {254, 254, 243, 230, 196, 177, 153, 140, 133, 130, 129}};

    // Work buffer with libwebp's layout: stride 32, the macroblock at row 1, column 8, so that the row above
    // (with 4 above-right samples) and 4 columns on the left fit.
    private static final int BPS = 32;
    private static final int Y_OFF = BPS + 8;
    private static final int UV_OFF = BPS + 8;

    private final byte[] data;
    private final String name;

    // frame header
    private int width, height, mbW, mbH;
    // segment header
    private boolean useSegment, updateMap, absoluteDelta = true;
    private final int[] segQuant = new int[4];
    private final int[] segFilter = new int[4];
    private final int[] segProbs = {255, 255, 255};
    // filter header
    private boolean simpleFilter, useLfDelta;
    private int filterLevel, sharpness, filterType;
    private final int[] refLfDelta = new int[4];
    private final int[] modeLfDelta = new int[4];
    // dequantisation per segment: {y1 dc, y1 ac, y2 dc, y2 ac, uv dc, uv ac}
    private final int[][] dq = new int[4][6];
    // token probabilities [type][band][ctx][11], flattened
    private final int[] probs = new int[4 * 8 * 3 * 11];
    private boolean useSkipProba;
    private int skipProb;
    // filter strength per segment and i4x4 flag: {limit, ilevel, hevThresh}
    private final int[][][] fStrength = new int[4][2][3];

    private Vp8BoolDecoder br;
    private Vp8BoolDecoder[] parts;

    private Vp8Decoder(byte[] data, String name) {
        this.data = data;
        this.name = name;
    }

    /**
     * Decodes the VP8 bitstream in {@code data[offset, offset + length)} (a "VP8 " chunk payload); {@code name}
     * is used in error messages.
     */
    static Frame decode(byte[] data, int offset, int length, String name) {
        return new Vp8Decoder(data, name).run(offset, length);
    }

    private ImageDecodeException error(String what) {
        return new ImageDecodeException(name + ": corrupt or truncated lossy WebP (VP8) data: " + what);
    }

    // ---- headers (RFC 6386 section 9) ----

    private Frame run(int offset, int length) {
        if (length < 10) throw error("frame header needs 10 bytes, the chunk has " + length);
        int b0 = data[offset] & 0xff, b1 = data[offset + 1] & 0xff, b2 = data[offset + 2] & 0xff;
        int tag = b0 | b1 << 8 | b2 << 16;
        boolean keyFrame = (tag & 1) == 0;
        int profile = (tag >> 1) & 7;
        boolean show = ((tag >> 4) & 1) != 0;
        int partitionLength = tag >>> 5;
        if (!keyFrame) throw error("not a key frame");
        if (profile > 3) throw error("invalid profile " + profile);
        if (!show) throw error("frame is not displayable");
        int p = offset + 3;
        if ((data[p] & 0xff) != 0x9d || (data[p + 1] & 0xff) != 0x01 || (data[p + 2] & 0xff) != 0x2a) {
            throw error("missing start code 9D 01 2A");
        }
        width = ((data[p + 4] & 0xff) << 8 | (data[p + 3] & 0xff)) & 0x3fff;
        height = ((data[p + 6] & 0xff) << 8 | (data[p + 5] & 0xff)) & 0x3fff;
        if (width == 0 || height == 0) throw error("invalid size " + width + "x" + height);
        if ((long) width * height > ImageDecoder.MAX_PIXELS) {
            throw new ImageDecodeException(name + ": image is " + width + "x" + height + " = " + ((long) width * height)
                    + " pixels, more than the limit of " + ImageDecoder.MAX_PIXELS + " (Pillow's decompression-bomb threshold)");
        }
        mbW = (width + 15) >> 4;
        mbH = (height + 15) >> 4;
        p += 7;
        int left = offset + length - p;
        if (partitionLength > left) {
            throw error("first partition declares " + partitionLength + " bytes, " + left + " remain");
        }
        br = new Vp8BoolDecoder(data, p, partitionLength);
        p += partitionLength;
        left -= partitionLength;
        br.bit(0x80); // colour space (ignored by libwebp)
        br.bit(0x80); // clamping type (libwebp always clamps)
        parseSegmentHeader();
        parseFilterHeader();
        if (br.eof()) throw error("header ends early");
        parsePartitions(p, left);
        parseQuant();
        br.bit(0x80); // refresh entropy probabilities: meaningless for a single key frame
        parseProbas();
        if (br.eof()) throw error("header ends early");
        precomputeFilterStrengths();
        return decodeFrame();
    }

    private void parseSegmentHeader() {
        useSegment = br.bit(0x80) == 1;
        if (useSegment) {
            updateMap = br.bit(0x80) == 1;
            if (br.bit(0x80) == 1) { // update segment feature data
                absoluteDelta = br.bit(0x80) == 1;
                for (int s = 0; s < 4; s++) segQuant[s] = br.bit(0x80) == 1 ? br.signedLiteral(7) : 0;
                for (int s = 0; s < 4; s++) segFilter[s] = br.bit(0x80) == 1 ? br.signedLiteral(6) : 0;
            }
            if (updateMap) {
                for (int s = 0; s < 3; s++) segProbs[s] = br.bit(0x80) == 1 ? br.literal(8) : 255;
            }
        } else {
            updateMap = false;
        }
    }

    private void parseFilterHeader() {
        simpleFilter = br.bit(0x80) == 1;
        filterLevel = br.literal(6);
        sharpness = br.literal(3);
        useLfDelta = br.bit(0x80) == 1;
        if (useLfDelta && br.bit(0x80) == 1) {
            for (int i = 0; i < 4; i++) if (br.bit(0x80) == 1) refLfDelta[i] = br.signedLiteral(6);
            for (int i = 0; i < 4; i++) if (br.bit(0x80) == 1) modeLfDelta[i] = br.signedLiteral(6);
        }
        filterType = filterLevel == 0 ? 0 : simpleFilter ? 1 : 2;
    }

    private void parsePartitions(int p, int size) {
        int last = (1 << br.literal(2)) - 1;
        if (size < 3 * last) throw error("cannot read the sizes of " + (last + 1) + " partitions");
        int start = p + 3 * last;
        int left = size - 3 * last;
        parts = new Vp8BoolDecoder[last + 1];
        for (int i = 0; i < last; i++) {
            int sz = p + 3 * i;
            int psize = (data[sz] & 0xff) | (data[sz + 1] & 0xff) << 8 | (data[sz + 2] & 0xff) << 16;
            if (psize > left) psize = left;
            parts[i] = new Vp8BoolDecoder(data, start, psize);
            start += psize;
            left -= psize;
        }
        parts[last] = new Vp8BoolDecoder(data, start, left);
        if (left <= 0) throw error("no data left for the last partition");
    }

    private static int clip(int v, int max) {
        return v < 0 ? 0 : Math.min(v, max);
    }

    private void parseQuant() {
        int base = br.literal(7);
        int y1dc = br.bit(0x80) == 1 ? br.signedLiteral(4) : 0;
        int y2dc = br.bit(0x80) == 1 ? br.signedLiteral(4) : 0;
        int y2ac = br.bit(0x80) == 1 ? br.signedLiteral(4) : 0;
        int uvdc = br.bit(0x80) == 1 ? br.signedLiteral(4) : 0;
        int uvac = br.bit(0x80) == 1 ? br.signedLiteral(4) : 0;
        for (int s = 0; s < 4; s++) {
            int q;
            if (useSegment) {
                q = segQuant[s] + (absoluteDelta ? 0 : base);
            } else if (s > 0) {
                dq[s] = dq[0].clone();
                continue;
            } else {
                q = base;
            }
            int[] m = dq[s];
            m[0] = Vp8Tables.DC_TABLE[clip(q + y1dc, 127)];
            m[1] = Vp8Tables.AC_TABLE[clip(q, 127)];
            m[2] = Vp8Tables.DC_TABLE[clip(q + y2dc, 127)] * 2;
            // x * 155 / 100 for the Y2 AC factor, computed as libwebp does.
            m[3] = (Vp8Tables.AC_TABLE[clip(q + y2ac, 127)] * 101581) >> 16;
            if (m[3] < 8) m[3] = 8;
            m[4] = Vp8Tables.DC_TABLE[clip(q + uvdc, 117)];
            m[5] = Vp8Tables.AC_TABLE[clip(q + uvac, 127)];
        }
    }

    private void parseProbas() {
        for (int i = 0; i < probs.length; i++) {
            probs[i] = br.bit(Vp8Tables.COEFF_UPDATE_PROBS[i]) == 1 ? br.literal(8) : Vp8Tables.COEFF_PROBS[i];
        }
        useSkipProba = br.bit(0x80) == 1;
        if (useSkipProba) skipProb = br.literal(8);
    }

    private void precomputeFilterStrengths() {
        if (filterType == 0) return;
        for (int s = 0; s < 4; s++) {
            int base;
            if (useSegment) {
                base = segFilter[s] + (absoluteDelta ? 0 : filterLevel);
            } else {
                base = filterLevel;
            }
            for (int i4x4 = 0; i4x4 <= 1; i4x4++) {
                int level = base;
                if (useLfDelta) {
                    level += refLfDelta[0];
                    if (i4x4 == 1) level += modeLfDelta[0];
                }
                level = clip(level, 63);
                int[] info = fStrength[s][i4x4];
                if (level > 0) {
                    int ilevel = level;
                    if (sharpness > 0) {
                        ilevel >>= sharpness > 4 ? 2 : 1;
                        if (ilevel > 9 - sharpness) ilevel = 9 - sharpness;
                    }
                    if (ilevel < 1) ilevel = 1;
                    info[0] = 2 * level + ilevel;
                    info[1] = ilevel;
                    info[2] = level >= 40 ? 2 : level >= 15 ? 1 : 0;
                } else {
                    info[0] = 0; // no filtering
                }
            }
        }
    }

    // ---- per-macroblock state ----

    private int[] intraTop;   // [mbW * 4] 4x4 modes of the bottom row of the macroblocks above
    private final int[] intraLeft = new int[4];
    private int[] nzTop;      // [mbW] non-zero flags: bits 0-3 Y columns, 4-5 U, 6-7 V
    private int[] nzDcTop;    // [mbW]
    private int nzLeft, nzDcLeft;

    // modes of the current macroblock row
    private int[] mbSegment, mbSkip, mbUvMode;
    private boolean[] mbIs4x4;
    private int[][] mbModes; // [mbW][16]

    private final short[] coeffs = new short[384]; // 16 Y, 4 U, 4 V blocks of 16, raster order within a block
    private final short[] y2 = new short[16];           // the Y2 (luma DC) block of a 16x16 macroblock
    private int nonZeroY, nonZeroUv;

    private void parseIntraModeRow() {
        for (int x = 0; x < mbW; x++) {
            int segment = 0;
            if (updateMap) {
                segment = br.bit(segProbs[0]) == 0 ? br.bit(segProbs[1]) : br.bit(segProbs[2]) + 2;
            }
            mbSegment[x] = segment;
            mbSkip[x] = useSkipProba ? br.bit(skipProb) : 0;
            boolean is4x4 = br.bit(145) == 0;
            mbIs4x4[x] = is4x4;
            int[] modes = mbModes[x];
            if (!is4x4) {
                int ymode = br.bit(156) == 1 ? (br.bit(128) == 1 ? B_TM : B_HE) : (br.bit(163) == 1 ? B_VE : B_DC);
                modes[0] = ymode;
                for (int i = 0; i < 4; i++) {
                    intraTop[4 * x + i] = ymode;
                    intraLeft[i] = ymode;
                }
            } else {
                for (int y = 0; y < 4; y++) {
                    int ymode = intraLeft[y];
                    for (int i = 0; i < 4; i++) {
                        int pb = (intraTop[4 * x + i] * 10 + ymode) * 9;
                        ymode = readBMode(pb);
                        intraTop[4 * x + i] = ymode;
                        modes[4 * y + i] = ymode;
                    }
                    intraLeft[y] = ymode;
                }
            }
            mbUvMode[x] = br.bit(142) == 0 ? B_DC : br.bit(114) == 0 ? B_VE : br.bit(183) == 1 ? B_TM : B_HE;
        }
        if (br.eof()) throw error("first partition ends early (macroblock row modes)");
    }

    /** The 4x4 mode tree of RFC 6386 11.2 with probabilities {@code BMODE_PROBS[pb .. pb + 8]}. */
    private int readBMode(int pb) {
        short[] p = Vp8Tables.BMODE_PROBS;
        if (br.bit(p[pb]) == 0) return B_DC;
        if (br.bit(p[pb + 1]) == 0) return B_TM;
        if (br.bit(p[pb + 2]) == 0) return B_VE;
        if (br.bit(p[pb + 3]) == 0) {
            if (br.bit(p[pb + 4]) == 0) return B_HE;
            return br.bit(p[pb + 5]) == 0 ? B_RD : B_VR;
        }
        if (br.bit(p[pb + 6]) == 0) return B_LD;
        if (br.bit(p[pb + 7]) == 0) return B_VL;
        return br.bit(p[pb + 8]) == 0 ? B_HD : B_HU;
    }

    // ---- residuals (RFC 6386 section 13) ----

    private int probIndex(int type, int n, int ctx) {
        return ((type * 8 + BANDS[n]) * 3 + ctx) * 11;
    }

    private static int largeValue(Vp8BoolDecoder tr, int[] probs, int p) {
        int v;
        if (tr.bit(probs[p + 3]) == 0) {
            v = tr.bit(probs[p + 4]) == 0 ? 2 : 3 + tr.bit(probs[p + 5]);
        } else if (tr.bit(probs[p + 6]) == 0) {
            if (tr.bit(probs[p + 7]) == 0) {
                v = 5 + tr.bit(159);
            } else {
                v = 7 + 2 * tr.bit(165);
                v += tr.bit(145);
            }
        } else {
            int bit1 = tr.bit(probs[p + 8]);
            int bit0 = tr.bit(probs[p + 9 + bit1]);
            int cat = 2 * bit1 + bit0;
            v = 0;
            for (int prob : CAT_PROBS[cat]) v += v + tr.bit(prob);
            v += 3 + (8 << cat);
        }
        return v;
    }

    /**
     * Reads the tokens of one 4x4 block from position {@code n} into {@code target[out .. out + 15]}, dequantised
     * with {@code dcq} / {@code acq}; returns the position after the last token read (libwebp's convention).
     */
    private int coefficients(Vp8BoolDecoder tr, int type, int ctx, int dcq, int acq, int n, short[] target, int out) {
        int[] pr = probs;
        int p = probIndex(type, n, ctx);
        for (; n < 16; n++) {
            if (tr.bit(pr[p]) == 0) return n; // end of block
            while (tr.bit(pr[p + 1]) == 0) { // zero token
                if (++n == 16) return 16;
                p = probIndex(type, n, 0);
            }
            int v;
            if (tr.bit(pr[p + 2]) == 0) {
                v = 1;
                p = probIndex(type, n + 1, 1);
            } else {
                v = largeValue(tr, pr, p);
                p = probIndex(type, n + 1, 2);
            }
            // libwebp keeps coefficients in int16_t: the product wraps like its store does.
            target[out + ZIGZAG[n]] = (short) (tr.signed(v) * (n > 0 ? acq : dcq));
        }
        return 16;
    }

    private static int nzCode(int bitsSoFar, int nz, boolean dcNonZero) {
        return (bitsSoFar << 2) | (nz > 3 ? 3 : nz > 1 ? 2 : dcNonZero ? 1 : 0);
    }

    /** Parses the residuals of macroblock {@code x}; returns true when it has no non-zero coefficient. */
    private boolean parseResiduals(Vp8BoolDecoder tr, int x) {
        int[] q = dq[mbSegment[x]];
        java.util.Arrays.fill(coeffs, (short) 0);
        int first;
        int acType;
        if (!mbIs4x4[x]) {
            short[] dc = y2;
            java.util.Arrays.fill(dc, (short) 0);
            int ctx = nzDcTop[x] + nzDcLeft;
            int nz = coefficients(tr, 1, ctx, q[2], q[3], 0, dc, 0);
            int flag = nz > 0 ? 1 : 0;
            nzDcTop[x] = flag;
            nzDcLeft = flag;
            if (nz > 1) {
                inverseWht(dc, coeffs);
            } else {
                int dc0 = (dc[0] + 3) >> 3;
                for (int i = 0; i < 256; i += 16) coeffs[i] = (short) dc0;
            }
            first = 1;
            acType = 0;
        } else {
            first = 0;
            acType = 3;
        }
        int nonY = 0;
        int tnz = nzTop[x] & 0x0f;
        int lnz = nzLeft & 0x0f;
        int out = 0;
        for (int y = 0; y < 4; y++) {
            int l = lnz & 1;
            int codes = 0;
            for (int i = 0; i < 4; i++) {
                int ctx = l + (tnz & 1);
                int nz = coefficients(tr, acType, ctx, q[0], q[1], first, coeffs, out);
                l = nz > first ? 1 : 0;
                tnz = (tnz >> 1) | (l << 7);
                codes = nzCode(codes, nz, coeffs[out] != 0);
                out += 16;
            }
            tnz >>= 4;
            lnz = (lnz >> 1) | (l << 7);
            nonY = (nonY << 8) | codes;
        }
        int outTnz = tnz;
        int outLnz = lnz >> 4;
        int nonUv = 0;
        for (int ch = 0; ch < 4; ch += 2) {
            int codes = 0;
            tnz = nzTop[x] >> (4 + ch);
            lnz = nzLeft >> (4 + ch);
            for (int y = 0; y < 2; y++) {
                int l = lnz & 1;
                for (int i = 0; i < 2; i++) {
                    int ctx = l + (tnz & 1);
                    int nz = coefficients(tr, 2, ctx, q[4], q[5], 0, coeffs, out);
                    l = nz > 0 ? 1 : 0;
                    tnz = (tnz >> 1) | (l << 3);
                    codes = nzCode(codes, nz, coeffs[out] != 0);
                    out += 16;
                }
                tnz >>= 2;
                lnz = (lnz >> 1) | (l << 5);
            }
            nonUv |= codes << (4 * ch);
            outTnz |= (tnz << 4) << ch;
            outLnz |= (lnz & 0xf0) << ch;
        }
        nzTop[x] = outTnz & 0xff;
        nzLeft = outLnz & 0xff;
        nonZeroY = nonY;
        nonZeroUv = nonUv;
        return (nonY | nonUv) == 0;
    }

    private final int[] whtTmp = new int[16];

    /** Inverse Walsh-Hadamard transform of the Y2 block into the DC of the 16 luma blocks. */
    private void inverseWht(short[] in, short[] out) {
        int[] tmp = whtTmp;
        for (int i = 0; i < 4; i++) {
            int a0 = in[i] + in[12 + i];
            int a1 = in[4 + i] + in[8 + i];
            int a2 = in[4 + i] - in[8 + i];
            int a3 = in[i] - in[12 + i];
            tmp[i] = a0 + a1;
            tmp[8 + i] = a0 - a1;
            tmp[4 + i] = a3 + a2;
            tmp[12 + i] = a3 - a2;
        }
        int o = 0;
        for (int i = 0; i < 4; i++) {
            int dc = tmp[i * 4] + 3;
            int a0 = dc + tmp[3 + i * 4];
            int a1 = tmp[1 + i * 4] + tmp[2 + i * 4];
            int a2 = tmp[1 + i * 4] - tmp[2 + i * 4];
            int a3 = dc - tmp[3 + i * 4];
            out[o] = (short) ((a0 + a1) >> 3);
            out[o + 16] = (short) ((a3 + a2) >> 3);
            out[o + 32] = (short) ((a0 - a1) >> 3);
            out[o + 48] = (short) ((a3 - a2) >> 3);
            o += 64;
        }
    }

    // ---- frame loop ----

    private Frame decodeFrame() {
        int yStride = mbW * 16;
        int uvStride = mbW * 8;
        byte[] yPlane = new byte[yStride * mbH * 16];
        byte[] uPlane = new byte[uvStride * mbH * 8];
        byte[] vPlane = new byte[uvStride * mbH * 8];
        intraTop = new int[mbW * 4];
        nzTop = new int[mbW];
        nzDcTop = new int[mbW];
        mbSegment = new int[mbW];
        mbSkip = new int[mbW];
        mbUvMode = new int[mbW];
        mbIs4x4 = new boolean[mbW];
        mbModes = new int[mbW][16];
        byte[] topY = new byte[mbW * 16];
        byte[] topU = new byte[mbW * 8];
        byte[] topV = new byte[mbW * 8];
        byte[] wy = new byte[BPS * 17];
        byte[] wu = new byte[BPS * 9];
        byte[] wv = new byte[BPS * 9];
        int[] fLimit = new int[mbW];
        int[] fIlevel = new int[mbW];
        int[] fHev = new int[mbW];
        boolean[] fInner = new boolean[mbW];
        Vp8LoopFilter filter = new Vp8LoopFilter();

        for (int mbY = 0; mbY < mbH; mbY++) {
            Vp8BoolDecoder tr = parts[mbY & (parts.length - 1)];
            // new row: left contexts reset
            nzLeft = 0;
            nzDcLeft = 0;
            java.util.Arrays.fill(intraLeft, B_DC);
            parseIntraModeRow();
            initRowEdges(wy, wu, wv, mbY);
            for (int mbX = 0; mbX < mbW; mbX++) {
                boolean skip = useSkipProba && mbSkip[mbX] == 1;
                if (!skip) {
                    skip = parseResiduals(tr, mbX);
                } else {
                    nzTop[mbX] = 0;
                    nzLeft = 0;
                    if (!mbIs4x4[mbX]) {
                        nzDcTop[mbX] = 0;
                        nzDcLeft = 0;
                    }
                    nonZeroY = 0;
                    nonZeroUv = 0;
                    java.util.Arrays.fill(coeffs, (short) 0);
                }
                if (tr.eof()) throw error("token partition ends early (macroblock " + mbX + "," + mbY + ")");
                if (filterType > 0) {
                    int[] info = fStrength[mbSegment[mbX]][mbIs4x4[mbX] ? 1 : 0];
                    fLimit[mbX] = info[0];
                    fIlevel[mbX] = info[1];
                    fHev[mbX] = info[2];
                    fInner[mbX] = mbIs4x4[mbX] || !skip;
                }
                reconstruct(mbX, mbY, wy, wu, wv, topY, topU, topV);
                // copy the macroblock to the planes
                for (int j = 0; j < 16; j++) {
                    System.arraycopy(wy, Y_OFF + j * BPS, yPlane, (mbY * 16 + j) * yStride + mbX * 16, 16);
                }
                for (int j = 0; j < 8; j++) {
                    System.arraycopy(wu, UV_OFF + j * BPS, uPlane, (mbY * 8 + j) * uvStride + mbX * 8, 8);
                    System.arraycopy(wv, UV_OFF + j * BPS, vPlane, (mbY * 8 + j) * uvStride + mbX * 8, 8);
                }
            }
            if (filterType > 0) {
                for (int mbX = 0; mbX < mbW; mbX++) {
                    int limit = fLimit[mbX];
                    if (limit == 0) continue;
                    int yOff = mbY * 16 * yStride + mbX * 16;
                    if (filterType == 1) {
                        filter.simpleMb(yPlane, yOff, yStride, limit, mbX > 0, mbY > 0, fInner[mbX]);
                    } else {
                        int uvOff = mbY * 8 * uvStride + mbX * 8;
                        filter.complexMb(yPlane, uPlane, vPlane, yOff, uvOff, yStride, uvStride, limit, fIlevel[mbX],
                                fHev[mbX], mbX > 0, mbY > 0, fInner[mbX]);
                    }
                }
            }
        }
        return new Frame(width, height, yPlane, uPlane, vPlane, yStride, uvStride, parts.length);
    }

    /** Sets the left column (129) and, on the first row, the row above (127) of the work buffers. */
    private static void initRowEdges(byte[] wy, byte[] wu, byte[] wv, int mbY) {
        for (int j = 0; j < 16; j++) wy[Y_OFF + j * BPS - 1] = (byte) 129;
        for (int j = 0; j < 8; j++) {
            wu[UV_OFF + j * BPS - 1] = (byte) 129;
            wv[UV_OFF + j * BPS - 1] = (byte) 129;
        }
        if (mbY > 0) {
            wy[Y_OFF - BPS - 1] = (byte) 129;
            wu[UV_OFF - BPS - 1] = (byte) 129;
            wv[UV_OFF - BPS - 1] = (byte) 129;
        } else {
            java.util.Arrays.fill(wy, Y_OFF - BPS - 1, Y_OFF - BPS + 20, (byte) 127);
            java.util.Arrays.fill(wu, UV_OFF - BPS - 1, UV_OFF - BPS + 8, (byte) 127);
            java.util.Arrays.fill(wv, UV_OFF - BPS - 1, UV_OFF - BPS + 8, (byte) 127);
        }
    }

    private void reconstruct(int mbX, int mbY, byte[] wy, byte[] wu, byte[] wv, byte[] topY, byte[] topU, byte[] topV) {
        if (mbX > 0) { // previous macroblock's right columns become the left samples
            for (int j = -1; j < 16; j++) System.arraycopy(wy, Y_OFF + j * BPS + 12, wy, Y_OFF + j * BPS - 4, 4);
            for (int j = -1; j < 8; j++) {
                System.arraycopy(wu, UV_OFF + j * BPS + 4, wu, UV_OFF + j * BPS - 4, 4);
                System.arraycopy(wv, UV_OFF + j * BPS + 4, wv, UV_OFF + j * BPS - 4, 4);
            }
        }
        if (mbY > 0) {
            System.arraycopy(topY, mbX * 16, wy, Y_OFF - BPS, 16);
            System.arraycopy(topU, mbX * 8, wu, UV_OFF - BPS, 8);
            System.arraycopy(topV, mbX * 8, wv, UV_OFF - BPS, 8);
        }
        int[] modes = mbModes[mbX];
        int bits = nonZeroY;
        if (mbIs4x4[mbX]) {
            int tr = Y_OFF - BPS + 16; // above-right samples
            if (mbY > 0) {
                if (mbX >= mbW - 1) {
                    java.util.Arrays.fill(wy, tr, tr + 4, topY[mbX * 16 + 15]);
                } else {
                    System.arraycopy(topY, mbX * 16 + 16, wy, tr, 4);
                }
            }
            for (int r = 1; r <= 3; r++) System.arraycopy(wy, tr, wy, tr + 4 * r * BPS, 4);
            for (int n = 0; n < 16; n++, bits <<= 2) {
                int dst = Y_OFF + (n >> 2) * 4 * BPS + (n & 3) * 4;
                Vp8Predict.luma4(modes[n], wy, dst);
                transform(bits >>> 30, n * 16, wy, dst);
            }
        } else {
            Vp8Predict.luma16(checkMode(mbX, mbY, modes[0]), wy, Y_OFF);
            if (bits != 0) {
                for (int n = 0; n < 16; n++, bits <<= 2) {
                    transform(bits >>> 30, n * 16, wy, Y_OFF + (n >> 2) * 4 * BPS + (n & 3) * 4);
                }
            }
        }
        int uvMode = checkMode(mbX, mbY, mbUvMode[mbX]);
        Vp8Predict.chroma8(uvMode, wu, UV_OFF);
        Vp8Predict.chroma8(uvMode, wv, UV_OFF);
        transformUv(nonZeroUv, 256, wu);
        transformUv(nonZeroUv >>> 8, 320, wv);
        if (mbY < mbH - 1) {
            System.arraycopy(wy, Y_OFF + 15 * BPS, topY, mbX * 16, 16);
            System.arraycopy(wu, UV_OFF + 7 * BPS, topU, mbX * 8, 8);
            System.arraycopy(wv, UV_OFF + 7 * BPS, topV, mbX * 8, 8);
        }
    }

    private static int checkMode(int mbX, int mbY, int mode) {
        if (mode != B_DC) return mode;
        if (mbX == 0) return mbY == 0 ? DC_NOTOPLEFT : DC_NOLEFT;
        return mbY == 0 ? DC_NOTOP : B_DC;
    }

    /**
     * Adds the inverse DCT of block {@code in} to the 4x4 pixels at {@code dst}. {@code code} is libwebp's
     * per-block summary (0 nothing, 1 DC only, 2 at most coefficients 0, 1 and 4, 3 any): its shortcuts give the
     * same result as the full transform, which is used for codes 2 and 3.
     */
    private void transform(int code, int in, byte[] buf, int dst) {
        if (code == 0) return;
        if (code == 1) {
            Vp8Idct.dcOnly(coeffs[in], buf, dst, BPS);
        } else {
            Vp8Idct.full(coeffs, in, buf, dst, BPS);
        }
    }

    private void transformUv(int bits, int in, byte[] buf) {
        if ((bits & 0xff) == 0) return;
        boolean ac = (bits & 0xaa) != 0;
        for (int b = 0; b < 4; b++) {
            int dst = UV_OFF + (b >> 1) * 4 * BPS + (b & 1) * 4;
            int off = in + b * 16;
            if (ac) {
                Vp8Idct.full(coeffs, off, buf, dst, BPS);
            } else if (coeffs[off] != 0) {
                Vp8Idct.dcOnly(coeffs[off], buf, dst, BPS);
            }
        }
    }
}
