#!/usr/bin/python3
"""Extra Pillow reference data for clip4j's image preprocessing tests (ExtraReferenceTest).

What it writes, into clip-core/src/test/resources/org/clip4j/core/image/extra/:
  * small input images covering what testdata/clip-reference does not: upscaling, very elongated images, odd
    sizes, RGBA with partial and zero alpha, LA, 16-bit gray (Pillow mode I), 16-bit RGB and gray+alpha, 1/4-bit
    gray, palettes with tRNS / 4-bit indices / indices past the palette end, gray and RGB with tRNS, an Adam7
    interlaced PNG, JPEG (4:2:0, 4:4:4 progressive, gray, CMYK, with an ICC profile), GIF, BMP (palette, gray
    palette, 24-bit) and WebP (lossless, lossy RGB and lossy RGBA);
  * extra_cases.json: per image the Pillow mode and size, the SHA-256 of the decoded samples, and per resize mode
    (shortest, squash, longest) and size (32, 64, 224, 336) the resized size, window offsets and the SHA-256 of the
    uint8 RGB result;
  * extra_expected.safetensors: decoded samples (small images only) and the shortest-mode n=32 RGB results in
    full, for readable failure messages (the lossy WebP up to n=64 too).

How: the PNGs are written byte by byte below (to control bit depth, tRNS, PLTE length and interlacing); other
formats are written by Pillow. The expected values come from real Pillow: Image.open, then
  * shortest = torchvision 0.14 Resize(n, BICUBIC) + CenterCrop(n) (the reference CLIP transform),
  * squash   = open_clip resize_mode="squash": Resize((n, n), BICUBIC),
  * longest  = open_clip resize_mode="longest": ResizeKeepRatio(n, longest=1) + CenterCropOrPad(n, fill=0),
re-implemented here on top of Pillow with the exact torchvision/open_clip size arithmetic (neither torchvision nor
open_clip is imported; on PIL images both only call Image.resize, ImageOps.expand and Image.crop), then
convert("RGB").

Run from anywhere (output is byte-identical between runs):
    apt-get install python3-pil python3-numpy      # Debian bookworm: Pillow 9.4.0, numpy 1.24.2
    /usr/bin/python3 clip-core/src/test/scripts/gen_image_reference.py
"""
import hashlib
import io
import json
import os
import struct
import zlib

import numpy as np
import PIL
from PIL import Image, ImageCms, ImageOps

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'resources', 'org', 'clip4j', 'core', 'image', 'extra')
SIZES = [32, 64, 224, 336]
MODES = ['shortest', 'squash', 'longest']
FULL = {'webp_lossy_64x48.webp', 'webp_lossy_rgba_45x37.webp'}   # lossy WebP: arrays up to n=64 stored in full, for readable failure messages


# ---------------------------------------------------------------- PNG writer

def _chunk(kind, data):
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)


def _pack_rows(a, bit_depth):
    """a: [H, W, C] integer samples -> list of packed scanlines (no filter byte)."""
    h, w, c = a.shape
    rows = []
    for y in range(h):
        row = a[y].reshape(-1)
        if bit_depth == 16:
            rows.append(row.astype('>u2').tobytes())
        elif bit_depth == 8:
            rows.append(row.astype(np.uint8).tobytes())
        else:
            per = 8 // bit_depth
            padded = np.zeros(((len(row) + per - 1) // per) * per, dtype=np.uint16)
            padded[:len(row)] = row
            packed = np.zeros(len(padded) // per, dtype=np.uint16)
            for i in range(per):
                packed |= padded[i::per] << (8 - bit_depth * (i + 1))
            rows.append(packed.astype(np.uint8).tobytes())
    return rows


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(name, a, bit_depth, color_type, plte=None, trns=None, interlace=False):
    a = np.asarray(a)
    if a.ndim == 2:
        a = a[:, :, None]
    h, w, _ = a.shape
    raw = b''
    if interlace:
        for x0, y0, dx, dy in ADAM7:
            sub = a[y0::dy, x0::dx]
            if sub.size:
                raw += b''.join(b'\0' + r for r in _pack_rows(sub, bit_depth))
    else:
        raw = b''.join(b'\0' + r for r in _pack_rows(a, bit_depth))
    data = b'\x89PNG\r\n\x1a\n' + _chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, bit_depth, color_type, 0, 0, 1 if interlace else 0))
    if plte is not None:
        data += _chunk(b'PLTE', bytes(np.asarray(plte, dtype=np.uint8).reshape(-1)))
    if trns is not None:
        data += _chunk(b'tRNS', trns)
    data += _chunk(b'IDAT', zlib.compress(raw, 9)) + _chunk(b'IEND', b'')
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)


# ---------------------------------------------------------------- synthetic content

def smooth(rng, h, w, c, lo=0, hi=255, noise=12):
    """Gradients and a few discs plus noise: compresses well, exercises the filter."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    out = np.zeros((h, w, c))
    for ch in range(c):
        fx, fy, ph = rng.uniform(0.5, 3.0), rng.uniform(0.5, 3.0), rng.uniform(0, 6.3)
        out[:, :, ch] = 0.5 + 0.5 * np.sin(fx * 6.3 * x / w + ph) * np.cos(fy * 6.3 * y / h)
        for _ in range(3):
            cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(2, max(3, min(h, w) / 2))
            out[:, :, ch] = np.where((x - cx) ** 2 + (y - cy) ** 2 < r * r, rng.uniform(0, 1), out[:, :, ch])
    out = lo + out * (hi - lo) + rng.normal(0, noise, out.shape)
    return np.clip(np.rint(out), lo, hi)


def make_inputs():
    rng = np.random.default_rng(20240531)
    files = []

    def png(name, *args, **kw):
        write_png(name, *args, **kw)
        files.append(name)

    png('up_rgb_20x13.png', smooth(rng, 13, 20, 3), 8, 2)
    png('long_rgb_400x9.png', smooth(rng, 9, 400, 3), 8, 2)
    png('tall_l_7x150.png', smooth(rng, 150, 7, 1), 8, 0)
    # RGBA: alpha 0 (with colour underneath), 255, and partial values.
    rgba = smooth(rng, 47, 33, 4)
    alpha = rng.choice([0, 255, -1], size=(47, 33), p=[0.25, 0.35, 0.4])
    rgba[:, :, 3] = np.where(alpha < 0, rng.integers(1, 255, (47, 33)), alpha)
    png('rgba_partial_33x47.png', rgba, 8, 6)
    la = smooth(rng, 31, 27, 2)
    la[:, :, 1] = np.where(rng.random((31, 27)) < 0.2, 0, la[:, :, 1])
    png('la_27x31.png', la, 8, 4)
    png('la16_15x21.png', smooth(rng, 21, 15, 2, 0, 65535, 3000), 16, 4)
    # 16-bit gray: mostly small values (Pillow keeps them in mode I and clips to 0..255 on convert("RGB")).
    g16 = smooth(rng, 26, 37, 1, 0, 400, 30)
    g16[rng.random((26, 37, 1)) < 0.1] = 65535
    png('gray16_37x26.png', g16, 16, 0)
    png('rgb16_23x17.png', smooth(rng, 17, 23, 3, 0, 65535, 2000), 16, 2)
    png('gray4_29x19.png', smooth(rng, 19, 29, 1, 0, 15, 1), 4, 0)
    png('bilevel_31x33.png', (smooth(rng, 33, 31, 1) > 127).astype(np.uint8), 1, 0)
    plte = rng.integers(0, 256, (200, 3))
    idx = smooth(rng, 29, 41, 1, 0, 255, 20)   # indices >= 200 are past the palette: Pillow's gray ramp
    png('pal_trns_41x29.png', idx, 8, 3, plte=plte, trns=bytes(rng.integers(0, 256, 150).astype(np.uint8)))
    png('pal4_19x23.png', smooth(rng, 23, 19, 1, 0, 15, 2), 4, 3, plte=rng.integers(0, 256, (7, 3)))
    png('gray_trns_25x18.png', smooth(rng, 18, 25, 1), 8, 0, trns=b'\x00\x80')
    png('rgb_trns_22x30.png', smooth(rng, 30, 22, 3), 8, 2, trns=b'\x00\x10\x00\x20\x00\x30')
    png('interlaced_rgb_35x27.png', smooth(rng, 27, 35, 3), 8, 2, interlace=True)
    rgba64 = smooth(rng, 64, 64, 4)
    rgba64[:, :, 3] = np.where(rng.random((64, 64)) < 0.3, 0, rgba64[:, :, 3])
    png('rgba_exact_64x64.png', rgba64, 8, 6)

    def pil(name, im, **kw):
        im.save(os.path.join(OUT, name), **kw)
        files.append(name)

    photo = Image.fromarray(smooth(rng, 213, 320, 3, noise=6).astype(np.uint8))
    pil('photo_420_320x213.jpg', photo, quality=85)
    pil('prog_444_45x61.jpg', Image.fromarray(smooth(rng, 61, 45, 3).astype(np.uint8)), quality=90, subsampling=0, progressive=True)
    pil('gray_50x38.jpg', Image.fromarray(smooth(rng, 38, 50, 1)[:, :, 0].astype(np.uint8)), quality=90)
    pil('cmyk_45x61.jpg', Image.fromarray(smooth(rng, 61, 45, 4).astype(np.uint8), 'CMYK'), quality=90)
    icc = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile('sRGB')).tobytes())
    icc[24:36] = struct.pack('>6H', 2024, 1, 1, 0, 0, 0)   # fixed creation date: reproducible output
    icc[84:100] = bytes(16)                                  # profile ID 0 = "not computed"
    icc = bytes(icc)
    pil('icc_rgb_52x37.jpg', Image.fromarray(smooth(rng, 37, 52, 3).astype(np.uint8)), quality=90, icc_profile=icc)
    gif = Image.fromarray(smooth(rng, 29, 37, 3).astype(np.uint8)).quantize(colors=23, dither=Image.Dither.NONE)
    pil('pal_37x29.gif', gif)
    pil('pal_26x22.bmp', Image.fromarray(smooth(rng, 22, 26, 3).astype(np.uint8)).quantize(colors=40, dither=Image.Dither.NONE))
    pil('gray_pal_30x20.bmp', Image.fromarray(smooth(rng, 20, 30, 1)[:, :, 0].astype(np.uint8)))
    pil('rgb_33x21.bmp', Image.fromarray(smooth(rng, 21, 33, 3).astype(np.uint8)))
    pil('webp_lossless_rgba_24x19.webp', Image.fromarray(smooth(rng, 19, 24, 4).astype(np.uint8), 'RGBA'), lossless=True)
    pil('webp_lossy_64x48.webp', Image.fromarray(smooth(rng, 48, 64, 3, noise=2).astype(np.uint8)), quality=80)
    # lossy RGBA (VP8 + lossless ALPH), odd size: convert("RGB") drops the alpha after resizing
    lossy_rgba = smooth(rng, 37, 45, 4, noise=4).astype(np.uint8)
    lossy_rgba[:, :10, 3] = 0
    pil('webp_lossy_rgba_45x37.webp', Image.fromarray(lossy_rgba, 'RGBA'), quality=70)
    return files


# ---------------------------------------------------------------- reference transforms (torchvision 0.14 / open_clip)

def resize(im, w, h):
    # torchvision F.resize on PIL -> Image.resize(size, BICUBIC); Pillow itself returns a copy when the size is equal.
    return im if im.size == (w, h) else im.resize((w, h), Image.BICUBIC)


def pad(im, ltrb):
    # torchvision.transforms.functional_pil.pad(img, padding, fill=0, padding_mode="constant")
    bands = len(im.getbands())
    fill = 0 if bands == 1 else tuple([0] * bands)
    if im.mode == 'P':
        palette = im.getpalette()
        out = ImageOps.expand(im, border=tuple(ltrb), fill=fill)
        out.putpalette(palette)
        return out
    return ImageOps.expand(im, border=tuple(ltrb), fill=fill)


def center_crop_or_pad(im, n):
    # torchvision 0.14 F.center_crop == open_clip center_crop_or_pad(fill=0) for PIL images.
    w, h = im.size
    pad_left = pad_top = 0
    if n > w or n > h:
        ltrb = [(n - w) // 2 if n > w else 0, (n - h) // 2 if n > h else 0,
                (n - w + 1) // 2 if n > w else 0, (n - h + 1) // 2 if n > h else 0]
        pad_left, pad_top = ltrb[0], ltrb[1]
        im = pad(im, ltrb)
        w, h = im.size
        if (w, h) == (n, n):
            return im, -pad_left, -pad_top
    top = int(round((h - n) / 2.0))
    left = int(round((w - n) / 2.0))
    return im.crop((left, top, left + n, top + n)), left - pad_left, top - pad_top


def resized_size(mode, w, h, n):
    if mode == 'shortest':   # torchvision _compute_resized_output_size
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = n, int(n * long / short)
        return (new_short, new_long) if w <= h else (new_long, new_short)
    if mode == 'squash':
        return n, n
    # open_clip ResizeKeepRatio.get_params, longest=1
    target_h, target_w = n, n
    ratio_h, ratio_w = h / target_h, w / target_w
    ratio = max(ratio_h, ratio_w) * 1.0 + min(ratio_h, ratio_w) * (1. - 1.0)
    new_h, new_w = [round(x * 1.0 / ratio) for x in (h, w)]
    return new_w, new_h


def transform(im, mode, n):
    rw, rh = resized_size(mode, im.size[0], im.size[1], n)
    out, left, top = center_crop_or_pad(resize(im, rw, rh), n)
    rgb = np.asarray(out.convert('RGB'), dtype=np.uint8)
    assert rgb.shape == (n, n, 3)
    return rgb, dict(resized_width=rw, resized_height=rh, left=left, top=top)


def decoded_array(im):
    if im.mode == '1':
        return np.asarray(im, dtype=np.uint8) * 255, 'u8'
    if im.mode == 'I':
        return np.asarray(im, dtype='<i4'), 'i32'
    a = np.asarray(im, dtype=np.uint8)
    return (a[:, :, None] if a.ndim == 2 else a), 'u8'


def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, a in tensors:
        a = np.ascontiguousarray(a)
        dtype = {np.dtype(np.uint8): 'U8', np.dtype('<i4'): 'I32'}[a.dtype]
        b = a.tobytes()
        header[name] = {'dtype': dtype, 'shape': list(a.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old != 'enhance.json':   # written by pil_enhance.py
            os.remove(os.path.join(OUT, old))
    files = make_inputs()
    cases, tensors = [], []
    for name in files:
        im = Image.open(os.path.join(OUT, name))
        im.load()
        dec, dtype = decoded_array(im)
        stem = name.rsplit('.', 1)[0]
        case = dict(file=name, mode=im.mode, width=im.size[0], height=im.size[1], decoded_dtype=dtype,
                    decoded_shape=list(dec.shape), decoded_sha256=sha(dec), tolerance=0, outputs={})
        if im.mode == 'P':
            case['palette_size'] = len(im.getpalette()) // 3
        if dec.size <= 8192 or name in FULL:
            tensors.append((stem + '.decoded', dec))
        for mode in MODES:
            case['outputs'][mode] = {}
            for n in SIZES:
                rgb, geo = transform(im, mode, n)
                geo['rgb_sha256'] = sha(rgb)
                case['outputs'][mode][str(n)] = geo
                if (mode == 'shortest' and n == 32) or (name in FULL and n <= 64):
                    tensors.append(('%s.%s.n%d.rgb_uint8' % (stem, mode, n), rgb))
        cases.append(case)
    write_safetensors(os.path.join(OUT, 'extra_expected.safetensors'), tensors)
    meta = dict(generator='clip-core/src/test/scripts/gen_image_reference.py', pillow=PIL.__version__,
                numpy=np.__version__, sizes=SIZES, modes=MODES,
                note='rgb_sha256 = SHA-256 of the uint8 [n, n, 3] result after resize, crop/pad and convert("RGB"); '
                     'decoded_sha256 = SHA-256 of np.asarray(Image.open(file)) ([H, W, C] uint8, mode 1 as 0/255, '
                     'mode I as little-endian int32)',
                cases=cases)
    with open(os.path.join(OUT, 'extra_cases.json'), 'w') as f:
        json.dump(meta, f, indent=1)
        f.write('\n')
    total = sum(os.path.getsize(os.path.join(OUT, x)) for x in os.listdir(OUT))
    print('%d cases, %d files, %d bytes in %s' % (len(cases), len(os.listdir(OUT)), total, os.path.normpath(OUT)))


if __name__ == '__main__':
    main()
