#!/usr/bin/python3
"""Animated WebP cases for clip4j's decoder (WebpAnimationTest), with the pixels Pillow shows for them.

Pillow 9.4 opens an animated WebP at its first frame, decoded by libwebp 1.2.4's WebPAnimDecoder: the frame (a key
frame) decoded into a zero-filled canvas at its offset, mode RGB, or RGBA when the VP8X header flags alpha.

What it writes, into clip-core/src/test/resources/org/clip4j/core/image/webp-anim/:
  * <case>.webp: animations saved by Pillow (save_all: lossy RGB and RGBA, lossless) and hand-made files whose
    first frame is smaller than the canvas and placed at an offset (lossy, with and without an ALPH chunk);
  * <case>.pixels: Pillow's samples of the opened file (Image.open(...).tobytes(), row-major [H, W, C]);
  * webp_anim_cases.json: per case its file, Pillow mode, size, whether its first frame is lossy, the SHA-256 of the
    samples and how it was made.
Run with Debian bookworm's packages (Pillow 9.4.0, libwebp 1.2.4):
    /usr/bin/python3 clip-core/src/test/scripts/gen_webp_anim_cases.py
"""
import hashlib
import io
import json
import os
import struct

import numpy as np
import PIL
from PIL import Image, features

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'resources', 'org', 'clip4j', 'core', 'image',
                   'webp-anim')


def picture(rng, h, w, c):
    """Smooth waves, noise and a hard-edged bar: [H, W, C] uint8."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    out = np.empty((h, w, c))
    for k in range(c):
        out[..., k] = 128 + 90 * np.sin(x / (3 + 2 * k) + y / 5.0 + k)
    out += rng.normal(0, 12, out.shape)
    out[:, w // 3: w // 3 + 4, :3] = [230, 20, 40][:min(c, 3)]
    if c == 4:
        out[..., 3] = np.where((x + y) % 17 < 5, 0, 255 - 2 * y)
    return np.clip(out, 0, 255).astype(np.uint8)


def chunk(tag, payload):
    return tag + struct.pack('<I', len(payload)) + payload + (b'\0' if len(payload) & 1 else b'')


def chunks(riff):
    """The (tag, payload) chunks of a RIFF/WEBP file."""
    out, p = [], 12
    while p + 8 <= len(riff):
        size = struct.unpack('<I', riff[p + 4:p + 8])[0]
        out.append((riff[p:p + 4], riff[p + 8:p + 8 + size]))
        p += 8 + size + (size & 1)
    return out


def frame_data(still):
    """The ALPH and VP8 chunks of a still lossy file, ready to go inside an ANMF chunk."""
    return b''.join(chunk(t, b) for t, b in chunks(still) if t in (b'ALPH', b'VP8 '))


def animation(canvas_w, canvas_h, alpha_flag, frames):
    """A hand-made animation: frames = [(x, y, w, h, frame_data)], x and y even."""
    flags = 0x02 | (0x10 if alpha_flag else 0)
    body = chunk(b'VP8X', bytes([flags, 0, 0, 0]) + (canvas_w - 1).to_bytes(3, 'little')
                 + (canvas_h - 1).to_bytes(3, 'little'))
    body += chunk(b'ANIM', struct.pack('<IH', 0xff336699, 0))             # background colour, loop forever
    for x, y, w, h, data in frames:
        header = ((x // 2).to_bytes(3, 'little') + (y // 2).to_bytes(3, 'little') + (w - 1).to_bytes(3, 'little')
                  + (h - 1).to_bytes(3, 'little') + (100).to_bytes(3, 'little') + bytes([0]))
        body += chunk(b'ANMF', header + data)
    return b'RIFF' + struct.pack('<I', 4 + len(body)) + b'WEBP' + body


def still(arr, mode, **kw):
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, 'WEBP', **kw)
    return buf.getvalue()


def main():
    assert PIL.__version__ == '9.4.0', PIL.__version__
    assert features.version('webp') == '1.2.4', features.version('webp')
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    rng = np.random.default_rng(20261205)
    cases = []

    def add(name, data, lossy, how):
        path = os.path.join(OUT, name + '.webp')
        with open(path, 'wb') as f:
            f.write(data)
        with Image.open(path) as im:
            assert im.is_animated, name
            im.load()
            pixels = im.tobytes()
            mode, (w, h) = im.mode, im.size
        with open(os.path.join(OUT, name + '.pixels'), 'wb') as f:
            f.write(pixels)
        cases.append({'file': name + '.webp', 'mode': mode, 'width': w, 'height': h, 'lossy_first_frame': lossy,
                      'sha256': hashlib.sha256(pixels).hexdigest(), 'how': how})

    def saved(name, frames, mode, lossy, **kw):
        buf = io.BytesIO()
        ims = [Image.fromarray(f, mode) for f in frames]
        ims[0].save(buf, 'WEBP', save_all=True, append_images=ims[1:], duration=100, loop=0, **kw)
        add(name, buf.getvalue(), lossy, 'Pillow save_all ' + json.dumps(kw, sort_keys=True))

    saved('pil_rgb_64x48_q80', [picture(rng, 48, 64, 3) for _ in range(3)], 'RGB', True, quality=80)
    saved('pil_rgb_33x17_q30', [picture(rng, 17, 33, 3) for _ in range(2)], 'RGB', True, quality=30)
    saved('pil_rgba_45x37_q75', [picture(rng, 37, 45, 4) for _ in range(2)], 'RGBA', True, quality=75)
    saved('pil_lossless_rgb_24x19', [picture(rng, 19, 24, 3) for _ in range(2)], 'RGB', False, lossless=True)

    small = picture(rng, 20, 24, 3)
    full = picture(rng, 30, 40, 3)
    add('offset_rgb_24x20_at_6_4_on_40x30', animation(40, 30, False, [
        (6, 4, 24, 20, frame_data(still(small, 'RGB', quality=85))),
        (0, 0, 40, 30, frame_data(still(full, 'RGB', quality=85)))]), True,
        'hand-made: first frame 24x20 at (6, 4) of a 40x30 canvas, lossy')
    small_a = picture(rng, 13, 22, 4)
    add('offset_rgba_22x13_at_10_2_on_36x21', animation(36, 21, True, [
        (10, 2, 22, 13, frame_data(still(small_a, 'RGBA', quality=70))),
        (0, 0, 36, 21, frame_data(still(picture(rng, 21, 36, 4), 'RGBA', quality=70)))]), True,
        'hand-made: first frame 22x13 (ALPH) at (10, 2) of a 36x21 canvas, alpha flag')
    add('offset_noalph_16x10_at_0_8_on_30x18_alphaflag', animation(30, 18, True, [
        (0, 8, 16, 10, frame_data(still(picture(rng, 10, 16, 3), 'RGB', quality=60))),
        (2, 0, 28, 18, frame_data(still(picture(rng, 18, 28, 3), 'RGB', quality=60)))]), True,
        'hand-made: first frame 16x10 without ALPH at (0, 8) of a 30x18 canvas, alpha flag')

    with open(os.path.join(OUT, 'webp_anim_cases.json'), 'w') as f:
        json.dump({'pillow': PIL.__version__, 'libwebp': features.version('webp'), 'cases': cases}, f, indent=1)
    print(len(cases), 'cases in', os.path.normpath(OUT))


if __name__ == '__main__':
    main()
