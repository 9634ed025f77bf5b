#!/usr/bin/python3
"""Lossy WebP decoding cases for clip4j's VP8 decoder (WebpDecoderTest), with Pillow's decoded pixels.

What it writes, into clip-core/src/test/resources/org/clip4j/core/image/webp/:
  * <case>.webp: small lossy WebP files: odd and even sizes from 1x1 to 128x96, RGB and RGBA, quality 0 to 100,
    smooth, noisy and hard-edged content; written by Pillow (image.save(..., "WEBP", quality=...)) and by cwebp
    with other encoder settings: simple loop filter (-nostrong), loop filter off (-f 0), sharpness, one to four
    segments, -sharp_yuv, -sns, alpha stored raw (-alpha_method 0) or lossless (1), every alpha filter
    (none/fast/best), quantised alpha (-alpha_q < 100 turns on the "levels" pre-processing), -exact; two files
    with 2 and 8 DCT-token partitions (libwebp's encoder called through ctypes, as neither Pillow nor cwebp sets
    that option); hand-made VP8X files (alpha flag without an ALPH chunk, ALPH chunk without the flag, raw and
    lossless ALPH with each prediction filter);
  * <case>.pixels: Pillow's decoded samples (Image.open(...).tobytes(), row-major [H, W, C]);
  * webp_cases.json: per case its file, Pillow mode, size, the SHA-256 of the samples and how it was made.

Pillow 9.4 decodes WebP with libwebp 1.2.4 (WebPAnimDecoder, default options: fancy upsampling, no dithering).
Run from anywhere (the .webp files depend on the libwebp encoder version, the pixels only on the decoder):
    apt-get install python3-pil python3-numpy webp    # Debian bookworm: Pillow 9.4.0, libwebp/cwebp 1.2.4
    /usr/bin/python3 clip-core/src/test/scripts/gen_webp_cases.py
"""
import ctypes
import hashlib
import io
import json
import os
import struct
import subprocess
import tempfile

import numpy as np
import PIL
from PIL import Image, features

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'resources', 'org', 'clip4j', 'core', 'image', 'webp')


def smooth(rng, h, w, c, noise):
    """A photo-like image: a few smooth waves plus Gaussian noise, [H, W, C] uint8."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    out = np.empty((h, w, c))
    for k in range(c):
        fx, fy, ph = rng.uniform(0.02, 0.3), rng.uniform(0.02, 0.3), rng.uniform(0, 6.3)
        out[..., k] = 128 + 90 * np.sin(fx * x + ph) * np.cos(fy * y + ph / 2) + 30 * (x / max(w, 1) - y / max(h, 1))
    out += rng.normal(0, noise, out.shape)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def edges(rng, h, w):
    """Hard-edged shapes (rectangles and a disc) in saturated colours, [H, W, 3]."""
    a = np.zeros((h, w, 3), np.uint8)
    a[:] = rng.integers(0, 256, 3)
    for _ in range(5):
        y0, x0 = rng.integers(0, h), rng.integers(0, w)
        a[y0:y0 + rng.integers(1, h + 1), x0:x0 + rng.integers(1, w + 1)] = rng.integers(0, 256, 3)
    yy, xx = np.mgrid[0:h, 0:w]
    a[(yy - h / 2) ** 2 + (xx - w / 3) ** 2 < (min(h, w) / 3) ** 2] = (250, 20, 200)
    return a


def alpha_plane(rng, h, w, kind):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    if kind == 'radial':     # smooth ramp from opaque centre to transparent corners
        r = np.sqrt((yy - h / 2) ** 2 + (xx - w / 2) ** 2) / (0.5 * np.hypot(h, w) + 1e-9)
        return np.clip(np.rint(255 * (1 - r)), 0, 255).astype(np.uint8)
    if kind == 'cutout':     # fully transparent and opaque regions with a soft edge
        a = np.where((yy // 5 + xx // 7) % 2 == 0, 255, 0).astype(np.float64)
        a[:, : w // 4] = 128
        return a.astype(np.uint8)
    if kind == 'noise':
        return rng.integers(0, 256, (h, w), dtype=np.uint8)
    raise ValueError(kind)


def rgba(rgb, a):
    return np.dstack([rgb, a])


def vp8x(simple_vp8, alpha_flag, alph=None):
    """Wraps the VP8 chunk of a simple lossy file into an extended (VP8X) file, optionally with an ALPH chunk."""
    assert simple_vp8[12:16] == b'VP8 '
    vp8_chunk = simple_vp8[12:]
    w, h = struct.unpack('<HH', vp8_chunk[8 + 6:8 + 10])
    w, h = w & 0x3fff, h & 0x3fff
    flags = 0x10 if alpha_flag else 0
    body = b'VP8X' + struct.pack('<I', 10) + bytes([flags, 0, 0, 0]) + (w - 1).to_bytes(3, 'little') + (h - 1).to_bytes(3, 'little')
    if alph is not None:
        body += b'ALPH' + struct.pack('<I', len(alph)) + alph + (b'\0' if len(alph) & 1 else b'')
    body += vp8_chunk
    return b'RIFF' + struct.pack('<I', 4 + len(body)) + b'WEBP' + body


def filter_alpha(a, method):
    """Forward alpha filter (1 horizontal, 2 vertical, 3 gradient) as libwebp defines it: residual = value minus
    prediction mod 256; row 0 is predicted from the left (its first pixel from 0), the first pixel of later rows
    from above; the gradient predictor is clamp(left + above - above-left)."""
    a = a.astype(np.int32)
    h, w = a.shape
    pred = np.zeros_like(a)
    pred[0, 1:] = a[0, :-1]
    for y in range(1, h):
        pred[y, 0] = a[y - 1, 0]
        if method == 1:
            pred[y, 1:] = a[y, :-1]
        elif method == 2:
            pred[y, 1:] = a[y - 1, 1:]
        else:
            pred[y, 1:] = np.clip(a[y, :-1] + a[y - 1, 1:] - a[y - 1, :-1], 0, 255)
    return ((a - pred) % 256).astype(np.uint8)


def vp8l_stream(plane):
    """The VP8L image stream (without its 5-byte header) of an image whose green channel is plane, as in ALPH."""
    h, w = plane.shape
    buf = io.BytesIO()
    Image.fromarray(np.dstack([np.zeros_like(plane), plane, np.zeros_like(plane)]), 'RGB').save(buf, 'WEBP', lossless=True)
    d = buf.getvalue()
    assert d[12:16] == b'VP8L', d[12:16]
    size = struct.unpack('<I', d[16:20])[0]
    return d[25:20 + size]


class _Config(ctypes.Structure):   # struct WebPConfig of libwebp 1.2.4 (src/webp/encode.h)
    _fields_ = [(n, ctypes.c_float if n in ('quality', 'target_PSNR') else ctypes.c_int) for n in (
        'lossless', 'quality', 'method', 'image_hint', 'target_size', 'target_PSNR', 'segments', 'sns_strength',
        'filter_strength', 'filter_sharpness', 'filter_type', 'autofilter', 'alpha_compression', 'alpha_filtering',
        'alpha_quality', 'pass', 'show_compressed', 'preprocessing', 'partitions', 'partition_limit',
        'emulate_jpeg_size', 'thread_level', 'low_memory', 'near_lossless', 'exact', 'use_delta_palette',
        'use_sharp_yuv', 'qmin', 'qmax')]


class _MemoryWriter(ctypes.Structure):
    _fields_ = [('mem', ctypes.c_void_p), ('size', ctypes.c_size_t), ('max_size', ctypes.c_size_t),
                ('pad', ctypes.c_uint32 * 1)]


class _Picture(ctypes.Structure):   # struct WebPPicture of libwebp 1.2.4
    _fields_ = [('use_argb', ctypes.c_int), ('colorspace', ctypes.c_int), ('width', ctypes.c_int),
                ('height', ctypes.c_int), ('y', ctypes.c_void_p), ('u', ctypes.c_void_p), ('v', ctypes.c_void_p),
                ('y_stride', ctypes.c_int), ('uv_stride', ctypes.c_int), ('a', ctypes.c_void_p),
                ('a_stride', ctypes.c_int), ('pad1', ctypes.c_uint32 * 2), ('argb', ctypes.c_void_p),
                ('argb_stride', ctypes.c_int), ('pad2', ctypes.c_uint32 * 3), ('writer', ctypes.c_void_p),
                ('custom_ptr', ctypes.c_void_p), ('extra_info_type', ctypes.c_int), ('extra_info', ctypes.c_void_p),
                ('stats', ctypes.c_void_p), ('error_code', ctypes.c_int), ('progress_hook', ctypes.c_void_p),
                ('user_data', ctypes.c_void_p), ('pad3', ctypes.c_uint32 * 3), ('pad4', ctypes.c_void_p),
                ('pad5', ctypes.c_void_p), ('pad6', ctypes.c_uint32 * 8), ('memory_', ctypes.c_void_p),
                ('memory_argb_', ctypes.c_void_p), ('pad7', ctypes.c_void_p * 2)]


def encode_with_partitions(rgb, quality, log2_partitions):
    """Lossy WebP with 2^log2_partitions DCT-token partitions, through libwebp's advanced API (Debian's
    libwebp.so.7, the same 1.2.4 as Pillow's): neither Pillow nor cwebp sets WebPConfig.partitions."""
    lib = ctypes.CDLL('libwebp.so.7')
    abi = 0x020f                                   # WEBP_ENCODER_ABI_VERSION of 1.2.4
    config, pic, writer = _Config(), _Picture(), _MemoryWriter()
    assert lib.WebPConfigInitInternal(ctypes.byref(config), 0, ctypes.c_float(quality), abi)
    config.partitions = log2_partitions
    config.low_memory = 1   # the token-buffer path (method >= 3 without low_memory) forces one partition
    assert lib.WebPValidateConfig(ctypes.byref(config))
    assert lib.WebPPictureInitInternal(ctypes.byref(pic), abi)
    h, w, _ = rgb.shape
    pic.width, pic.height = w, h
    data = np.ascontiguousarray(rgb).tobytes()
    assert lib.WebPPictureImportRGB(ctypes.byref(pic), data, 3 * w)
    lib.WebPMemoryWriterInit(ctypes.byref(writer))
    pic.writer = ctypes.cast(lib.WebPMemoryWrite, ctypes.c_void_p).value
    pic.custom_ptr = ctypes.addressof(writer)
    ok = lib.WebPEncode(ctypes.byref(config), ctypes.byref(pic))
    out = ctypes.string_at(writer.mem, writer.size)
    lib.WebPPictureFree(ctypes.byref(pic))
    lib.WebPMemoryWriterClear(ctypes.byref(writer))
    assert ok, pic.error_code
    return out


def main():
    assert PIL.__version__ == '9.4.0', PIL.__version__
    assert features.version('webp') == '1.2.4', features.version('webp')
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    rng = np.random.default_rng(20261204)
    cases = []
    tmp = tempfile.mkdtemp()

    def add(name, data, how):
        path = os.path.join(OUT, name + '.webp')
        with open(path, 'wb') as f:
            f.write(data)
        with Image.open(path) as im:
            im.load()
            pixels = im.tobytes()
            mode, (w, h) = im.mode, im.size
        with open(os.path.join(OUT, name + '.pixels'), 'wb') as f:
            f.write(pixels)
        cases.append({'file': name + '.webp', 'mode': mode, 'width': w, 'height': h,
                      'sha256': hashlib.sha256(pixels).hexdigest(), 'how': how})

    def pil(name, arr, mode, **kw):
        buf = os.path.join(tmp, name + '.webp')
        Image.fromarray(arr, mode).save(buf, 'WEBP', **kw)
        with open(buf, 'rb') as f:
            add(name, f.read(), 'Pillow save ' + json.dumps(kw, sort_keys=True))

    def cwebp(name, arr, mode, *opts):
        src = os.path.join(tmp, name + '.png')
        Image.fromarray(arr, mode).save(src)
        dst = os.path.join(tmp, name + '.webp')
        subprocess.run(['cwebp', '-quiet', *opts, src, '-o', dst], check=True)
        with open(dst, 'rb') as f:
            add(name, f.read(), 'cwebp ' + ' '.join(opts))

    # RGB through Pillow: sizes (odd, even, smaller than a macroblock, not multiples of 16) and qualities
    for (w, h), q in [((1, 1), 80), ((2, 2), 80), ((3, 5), 50), ((15, 17), 75), ((16, 16), 90), ((17, 16), 30),
                      ((33, 20), 75), ((64, 48), 80), ((100, 75), 60), ((128, 96), 85)]:
        pil('rgb_%dx%d_q%d' % (w, h, q), smooth(rng, h, w, 3, noise=6), 'RGB', quality=q)
    for q in (0, 5, 100):
        pil('rgb_40x31_q%d' % q, smooth(rng, 31, 40, 3, noise=20), 'RGB', quality=q)
    pil('edges_48x40_q70', edges(rng, 40, 48), 'RGB', quality=70)
    pil('noise_32x32_q50', rng.integers(0, 256, (32, 32, 3), dtype=np.uint8), 'RGB', quality=50)
    pil('rgb_37x29_q75_m6', smooth(rng, 29, 37, 3, noise=10), 'RGB', quality=75, method=6)
    pil('rgb_37x29_q75_m0', smooth(rng, 29, 37, 3, noise=10), 'RGB', quality=75, method=0)

    # RGBA through Pillow (default: lossless alpha, alpha_quality 100)
    for (w, h), kind, q in [((1, 1), 'radial', 80), ((16, 16), 'noise', 75), ((15, 17), 'radial', 75),
                            ((33, 20), 'cutout', 60), ((64, 48), 'radial', 90)]:
        pil('rgba_%dx%d_%s_q%d' % (w, h, kind, q), rgba(smooth(rng, h, w, 3, noise=6), alpha_plane(rng, h, w, kind)),
            'RGBA', quality=q)
    pil('rgba_31x23_cutout_exact', rgba(smooth(rng, 23, 31, 3, noise=6), alpha_plane(rng, 23, 31, 'cutout')),
        'RGBA', quality=75, exact=True)

    # cwebp: loop filter, segments, sharpness, chroma conversion, alpha coding
    img = smooth(rng, 45, 53, 3, noise=8)
    cwebp('cw_simple_filter', img, 'RGB', '-q', '70', '-nostrong', '-f', '60')
    cwebp('cw_simple_filter_sharp', img, 'RGB', '-q', '40', '-nostrong', '-f', '100', '-sharpness', '3')
    cwebp('cw_strong_sharp5', img, 'RGB', '-q', '40', '-strong', '-f', '90', '-sharpness', '5')
    cwebp('cw_no_filter', img, 'RGB', '-q', '70', '-f', '0')
    cwebp('cw_segments1', img, 'RGB', '-q', '60', '-segments', '1')
    cwebp('cw_segments2_sns100', img, 'RGB', '-q', '60', '-segments', '2', '-sns', '100')
    cwebp('cw_sns0_q10', img, 'RGB', '-q', '10', '-sns', '0')
    cwebp('cw_sharp_yuv', img, 'RGB', '-q', '80', '-sharp_yuv')
    cwebp('cw_af_m6', img, 'RGB', '-q', '50', '-af', '-m', '6')
    big = smooth(rng, 96, 128, 3, noise=12)
    cwebp('cw_photo_128x96_q95', big, 'RGB', '-q', '95', '-m', '4')
    a_img = rgba(smooth(rng, 37, 41, 3, noise=8), alpha_plane(rng, 37, 41, 'radial'))
    n_img = rgba(smooth(rng, 37, 41, 3, noise=8), alpha_plane(rng, 37, 41, 'noise'))
    c_img = rgba(smooth(rng, 37, 41, 3, noise=8), alpha_plane(rng, 37, 41, 'cutout'))
    for filt in ('none', 'fast', 'best'):
        cwebp('cw_alpha_raw_%s' % filt, a_img, 'RGBA', '-q', '75', '-alpha_method', '0', '-alpha_filter', filt)
        cwebp('cw_alpha_lossless_%s' % filt, n_img, 'RGBA', '-q', '75', '-alpha_method', '1', '-alpha_filter', filt)
    cwebp('cw_alpha_q50', a_img, 'RGBA', '-q', '75', '-alpha_q', '50')
    cwebp('cw_alpha_q10_best', c_img, 'RGBA', '-q', '75', '-alpha_q', '10', '-alpha_filter', 'best')
    cwebp('cw_alpha_q30_raw', a_img, 'RGBA', '-q', '75', '-alpha_q', '30', '-alpha_method', '0', '-alpha_filter', 'fast')
    cwebp('cw_alpha_exact_sharp_yuv', c_img, 'RGBA', '-q', '60', '-exact', '-sharp_yuv')

    # hand-made extended files around a simple lossy frame
    simple = os.path.join(tmp, 'simple.webp')
    Image.fromarray(smooth(rng, 21, 27, 3, noise=6), 'RGB').save(simple, 'WEBP', quality=70)
    with open(simple, 'rb') as f:
        simple_bytes = f.read()
    add('vp8x_alpha_flag_no_alph', vp8x(simple_bytes, True), 'VP8X with the alpha flag, no ALPH chunk')
    raw_alpha = bytes([0]) + alpha_plane(rng, 21, 27, 'radial').tobytes()   # method 0, no filter
    add('vp8x_alph_no_flag', vp8x(simple_bytes, False, raw_alpha), 'VP8X without the alpha flag, raw ALPH chunk')
    add('vp8x_plain', vp8x(simple_bytes, False), 'VP8X without alpha')
    # every alpha filter with raw and lossless alpha (cwebp keeps only the filters that pay off)
    plane = alpha_plane(rng, 21, 27, 'radial')
    plane[5:9, 3:20] = rng.integers(0, 256, (4, 17), dtype=np.uint8)
    for filt, fname in ((1, 'horizontal'), (2, 'vertical'), (3, 'gradient')):
        res = filter_alpha(plane, filt)
        add('vp8x_alph_raw_%s' % fname, vp8x(simple_bytes, True, bytes([filt << 2]) + res.tobytes()),
            'VP8X, raw ALPH with the %s filter' % fname)
        add('vp8x_alph_lossless_%s' % fname, vp8x(simple_bytes, True, bytes([1 | filt << 2]) + vp8l_stream(res)),
            'VP8X, lossless ALPH with the %s filter' % fname)

    # several DCT-token partitions (macroblock row r uses partition r mod 2^k); 9 and 11 macroblock rows
    add('parts2_40x140_q70', encode_with_partitions(smooth(rng, 140, 40, 3, noise=8), 70, 1),
        'libwebp WebPEncode, 2 token partitions')
    add('parts8_37x170_q60', encode_with_partitions(smooth(rng, 170, 37, 3, noise=8), 60, 3),
        'libwebp WebPEncode, 8 token partitions')

    with open(os.path.join(OUT, 'webp_cases.json'), 'w') as f:
        json.dump({'pillow': PIL.__version__, 'libwebp': features.version('webp'), 'cases': cases}, f, indent=1)
        f.write('\n')
    print(len(cases), 'cases')


if __name__ == '__main__':
    main()
