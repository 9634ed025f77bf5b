#!/usr/bin/python3
"""JPEG decoding cases for both of clip4j's JPEG decoders (JpegDecodeTest), with Pillow's decoded pixels.

What it writes, into clip-core/src/test/resources/org/clip4j/core/image/jpeg/:
  * <case>.jpg: small JPEG files covering what a decoder can get wrong relative to Pillow:
      - Pillow's encoder: 4:2:0, 4:2:2 and 4:4:4 chroma subsampling at odd and even sizes (1x1 up to 67x45, so the
        fancy upsampling's edge columns and rows are exercised), qualities 5 to 100, progressive and
        Huffman-optimised files, gray, noisy content (large AC coefficients, clamped IDCT output), an APP1
        segment whose payload contains FF D9 / FF D8 (a JPEG thumbnail), bytes after the end-of-image marker;
      - cjpeg (libjpeg-turbo-progs): arithmetic coding, restart markers, 4:4:0, 4:1:1 and a mixed sampling
        (2x1, 1x2, 1x1), an RGB-colour-space file (Adobe transform 0), a progressive gray file from colour input;
      - libjpeg-turbo's TurboJPEG encoder through ctypes: a 4-component YCCK file (neither Pillow nor cjpeg writes
        one);
      - edited copies: the RGB file without its Adobe marker (libjpeg then guesses RGB from the component ids
        'R', 'G', 'B'), a YCbCr file without JFIF marker, and a file with flipped bits in its entropy-coded data
        (libjpeg warns "Corrupt JPEG data" and decodes anyway, as Pillow does);
  * <case>.pixels: Pillow's decoded samples (Image.open(...).tobytes(), row-major [H, W, C]);
  * jpeg_cases.json: per case its file, Pillow mode, size, the SHA-256 of the samples and how it was made.

Pillow 9.4 decodes JPEGs with libjpeg-turbo 2.1.5 (Debian's libjpeg62-turbo: accurate integer IDCT, fancy
upsampling). Run from anywhere (the .jpg files depend on the encoders, the pixels only on the decoder):
    apt-get install python3-pil python3-numpy libjpeg-turbo-progs libturbojpeg0   # Debian bookworm
    /usr/bin/python3 clip-core/src/test/scripts/gen_jpeg_cases.py
"""
import ctypes
import hashlib
import io
import json
import os
import subprocess
import tempfile

import numpy as np
import PIL
from PIL import Image, features

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'resources', 'org', 'clip4j', 'core', 'image', 'jpeg')


def smooth(rng, h, w, c, noise=4.0):
    """A photo-like image: a few smooth waves plus Gaussian noise, [H, W, C] uint8."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    out = np.empty((h, w, c))
    for k in range(c):
        fx, fy, ph = rng.uniform(0.02, 0.3), rng.uniform(0.02, 0.3), rng.uniform(0, 6.3)
        out[..., k] = 128 + 90 * np.sin(fx * x + ph) * np.cos(fy * y + ph / 2) + 30 * (x / max(w, 1) - y / max(h, 1))
    out += rng.normal(0, noise, out.shape)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def pil_bytes(array, mode=None, **save):
    buf = io.BytesIO()
    Image.fromarray(array, mode).save(buf, 'JPEG', **save)
    return buf.getvalue()


def cjpeg(array, *args):
    """Encodes [H, W, 3] uint8 with cjpeg (reads a binary PPM)."""
    h, w, _ = array.shape
    ppm = b'P6\n%d %d\n255\n' % (w, h) + array.tobytes()
    return subprocess.run(['cjpeg', *args], input=ppm, stdout=subprocess.PIPE, check=True).stdout


def turbojpeg_ycck(cmyk):
    """Encodes [H, W, 4] CMYK with tjCompress2(TJPF_CMYK), which libjpeg-turbo stores as YCCK."""
    tj = ctypes.CDLL('libturbojpeg.so.0')
    tj.tjInitCompress.restype = ctypes.c_void_p
    tj.tjCompress2.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                               ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_ulong), ctypes.c_int,
                               ctypes.c_int, ctypes.c_int]
    tj.tjFree.argtypes = [ctypes.c_void_p]
    tj.tjDestroy.argtypes = [ctypes.c_void_p]
    h, w, _ = cmyk.shape
    handle = tj.tjInitCompress()
    out, size = ctypes.c_void_p(), ctypes.c_ulong(0)
    TJPF_CMYK, TJSAMP_420 = 11, 2
    if tj.tjCompress2(handle, cmyk.tobytes(), w, 0, h, TJPF_CMYK, ctypes.byref(out), ctypes.byref(size), TJSAMP_420, 90, 0):
        raise RuntimeError('tjCompress2 failed')
    data = ctypes.string_at(out, size.value)
    tj.tjFree(out)
    tj.tjDestroy(handle)
    return data


def djpeg_warnings(data):
    """What djpeg (libjpeg-turbo) prints on stderr while decoding `data`."""
    return subprocess.run(['djpeg'], input=data, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).stderr


def segments(data):
    """(marker, start, end) of the marker segments before the first SOS (end exclusive, start at the 0xFF)."""
    pos, out = 2, []
    while True:
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        length = data[pos + 2] << 8 | data[pos + 3]
        out.append((marker, pos, pos + 2 + length))
        if marker == 0xDA:
            return out
        pos += 2 + length


def without_marker(data, marker):
    for m, start, end in segments(data):
        if m == marker:
            return data[:start] + data[end:]
    raise ValueError('marker %02X not found' % marker)


def flip_entropy_bits(data, count, seed):
    """Flips one bit in `count` bytes of the entropy-coded data (never creating or breaking an FF byte)."""
    sos_end = segments(data)[-1][2]
    body = bytearray(data)
    rng = np.random.default_rng(seed)
    done = 0
    while done < count:
        i = int(rng.integers(sos_end + 8, len(data) - 8))
        if body[i] in (0xFF, 0x00) or body[i - 1] == 0xFF or body[i + 1] == 0xFF:
            continue
        flipped = body[i] ^ (1 << int(rng.integers(0, 7)))
        if flipped in (0xFF, 0x00):
            continue
        body[i] = flipped
        done += 1
    return bytes(body)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261204)
    cases = []

    def add(name, data, how):
        path = os.path.join(OUT, name)
        with open(path, 'wb') as f:
            f.write(data)
        im = Image.open(path)
        im.load()
        pixels = im.tobytes()
        with open(path.replace('.jpg', '.pixels'), 'wb') as f:
            f.write(pixels)
        cases.append({'file': name, 'mode': im.mode, 'width': im.width, 'height': im.height,
                      'sha256': hashlib.sha256(pixels).hexdigest(), 'how': how})

    # Pillow's encoder: subsampling, sizes, qualities, progressive, optimised tables.
    add('s420_33x17_q85.jpg', pil_bytes(smooth(rng, 17, 33, 3), quality=85, subsampling=2), 'Pillow 4:2:0 q85, odd size')
    add('s420_1x1_q90.jpg', pil_bytes(smooth(rng, 1, 1, 3), quality=90, subsampling=2), 'Pillow 4:2:0, 1x1')
    add('s420_2x3_q90.jpg', pil_bytes(smooth(rng, 3, 2, 3), quality=90, subsampling=2), 'Pillow 4:2:0, 2x3')
    add('s420_48x40_q5.jpg', pil_bytes(smooth(rng, 40, 48, 3, 40), quality=5, subsampling=2), 'Pillow 4:2:0 q5, noisy')
    add('s420_47x39_noise_q100.jpg', pil_bytes(rng.integers(0, 256, (39, 47, 3)).astype(np.uint8), quality=100,
                                               subsampling=2), 'Pillow 4:2:0 q100, uniform noise (clamped IDCT)')
    add('s422_31x19_q90.jpg', pil_bytes(smooth(rng, 19, 31, 3), quality=90, subsampling=1), 'Pillow 4:2:2 q90, odd size')
    add('s422_64x16_q75.jpg', pil_bytes(smooth(rng, 16, 64, 3), quality=75, subsampling=1), 'Pillow 4:2:2 q75')
    add('s444_29x23_q95.jpg', pil_bytes(smooth(rng, 23, 29, 3), quality=95, subsampling=0), 'Pillow 4:4:4 q95')
    add('prog420_67x45_opt.jpg', pil_bytes(smooth(rng, 45, 67, 3), quality=80, subsampling=2, progressive=True,
                                           optimize=True), 'Pillow progressive 4:2:0, optimised Huffman tables')
    add('prog_gray_23x31.jpg', pil_bytes(smooth(rng, 31, 23, 1)[:, :, 0], quality=85, progressive=True),
        'Pillow progressive gray')
    add('gray_17x9_q50.jpg', pil_bytes(smooth(rng, 9, 17, 1, 20)[:, :, 0], quality=50), 'Pillow gray q50, odd size')
    thumb = pil_bytes(smooth(rng, 8, 8, 3), quality=50)   # contains FF D8 ... FF D9
    add('app1_thumbnail_30x20.jpg', pil_bytes(smooth(rng, 20, 30, 3), quality=90, exif=b'Exif\x00\x00' + thumb),
        'Pillow 4:2:0 with an APP1 payload holding a whole JPEG (FF D8 ... FF D9)')
    add('trailing_bytes_26x18.jpg', pil_bytes(smooth(rng, 18, 26, 3), quality=90) + b'\x00junk after EOI\xff\xd8\xff',
        'Pillow 4:2:0 followed by bytes after the end-of-image marker')

    # cjpeg: what Pillow's encoder does not write.
    add('arith_420_35x27.jpg', cjpeg(smooth(rng, 27, 35, 3), '-quality', '85', '-arithmetic'), 'cjpeg -arithmetic')
    add('restart_420_50x34.jpg', cjpeg(smooth(rng, 34, 50, 3), '-quality', '85', '-restart', '1B'),
        'cjpeg -restart 1B (a restart marker after every MCU)')
    add('s440_27x35.jpg', cjpeg(smooth(rng, 35, 27, 3), '-quality', '90', '-sample', '1x2'), 'cjpeg 4:4:0 (-sample 1x2)')
    add('s411_45x21.jpg', cjpeg(smooth(rng, 21, 45, 3), '-quality', '90', '-sample', '4x1'), 'cjpeg 4:1:1 (-sample 4x1)')
    add('mixed_2x1_1x2_1x1_37x29.jpg', cjpeg(smooth(rng, 29, 37, 3), '-quality', '90', '-sample', '2x1,1x2,1x1'),
        'cjpeg with Y 2x1, Cb 1x2, Cr 1x1 sampling')
    rgb = cjpeg(smooth(rng, 25, 33, 3), '-quality', '90', '-rgb')
    add('rgb_adobe_33x25.jpg', rgb, 'cjpeg -rgb (RGB colour space, Adobe transform 0)')
    add('rgb_ids_33x25.jpg', without_marker(rgb, 0xEE), 'the -rgb file without its Adobe marker (component ids R, G, B)')
    add('prog_gray_from_rgb_41x19.jpg', cjpeg(smooth(rng, 19, 41, 3), '-grayscale', '-progressive'),
        'cjpeg -grayscale -progressive')
    ycbcr = pil_bytes(smooth(rng, 22, 28, 3), quality=90)
    add('no_jfif_28x22.jpg', without_marker(ycbcr, 0xE0), 'Pillow 4:2:0 without its JFIF marker (component ids 1, 2, 3)')

    # TurboJPEG's encoder: YCCK.
    add('ycck_38x26.jpg', turbojpeg_ycck(smooth(rng, 26, 38, 4)), 'tjCompress2 from CMYK (stored as Adobe YCCK)')

    # Damaged but decodable: libjpeg warns ("Corrupt JPEG data: ...", checked with djpeg) and Pillow returns the
    # (garbled) pixels.
    photo = pil_bytes(smooth(rng, 48, 64, 3), quality=90)
    seed = 7
    while b'Corrupt JPEG data' not in djpeg_warnings(flip_entropy_bits(photo, 12, seed)):
        seed += 1
    add('corrupt_bits_64x48.jpg', flip_entropy_bits(photo, 12, seed),
        'Pillow 4:2:0 with 12 bits flipped in the scan data (libjpeg warns: %s)'
        % djpeg_warnings(flip_entropy_bits(photo, 12, seed)).decode().strip().splitlines()[0])
    junk = pil_bytes(smooth(rng, 20, 24, 3), quality=90)
    junk = junk[:-2] + b'\x12\x34\x56' + junk[-2:]
    assert b'extraneous bytes' in djpeg_warnings(junk)
    add('extraneous_bytes_24x20.jpg', junk, 'Pillow 4:2:0 with 3 bytes between the scan data and the EOI marker '
        '(libjpeg warns: Corrupt JPEG data: 3 extraneous bytes before marker 0xd9)')

    with open(os.path.join(OUT, 'jpeg_cases.json'), 'w') as f:
        json.dump({'generator': 'clip-core/src/test/scripts/gen_jpeg_cases.py', 'pillow': PIL.__version__,
                   'libjpeg_turbo': features.version('jpg'), 'numpy': np.__version__,
                   'note': 'sha256 = SHA-256 of Image.open(file).tobytes() ([H, W, C] uint8), also stored as <case>.pixels',
                   'cases': cases}, f, indent=1)
    print(len(cases), 'cases written to', os.path.normpath(OUT))


if __name__ == '__main__':
    main()
