#!/usr/bin/env python3
"""Writes the fixtures of ManifestResizerTest to src/test/resources/org/clip4j/train/data/resize/: small
deterministic source images (src_*) in several Pillow modes, and what the former
examples/openclipart/resize_manifest.py (which clip data resize replaced) did to each with SIZE = 16 (exp_*.png): shorter side to 16 px with
Image.BICUBIC, sizes rounded by Python's round, never upscaled, saved in the same mode (as PNG here, also for
the JPEG source).
Run with Debian's Pillow from clip-train/: /usr/bin/python3 src/test/scripts/resize_reference.py"""
import os

import PIL
from PIL import Image

SIZE = 16
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "org", "clip4j", "train", "data", "resize")


def pattern(w, h, channels, seed):
    return bytes(((x * (37 + seed) + y * (91 + 2 * seed) + c * 53 + (x * y) % 17 * 11) * 7 + 13 * seed) % 256
                 for y in range(h) for x in range(w) for c in range(channels))


def sources():
    yield "src_rgb_90x50.png", Image.frombytes("RGB", (90, 50), pattern(90, 50, 3, 1))
    rgba = bytearray(pattern(40, 70, 4, 2))
    for i in range(3, len(rgba), 4):          # alpha: a band fully transparent, the rest partial or opaque
        p = i // 4
        x, y = p % 40, p // 40
        rgba[i] = 0 if 10 <= x < 16 else 255 if y < 20 else (x * 7 + y * 3) % 256
    yield "src_rgba_40x70.png", Image.frombytes("RGBA", (40, 70), bytes(rgba))
    pal = Image.frombytes("P", (75, 33), bytes((x * 3 + y * 5) % 12 for y in range(33) for x in range(75)))
    pal.putpalette(pattern(12, 1, 3, 3))
    pal.info["transparency"] = bytes([255, 0, 128, 200, 255, 64, 255, 255, 10, 255, 255, 255])
    yield "src_p_trns_75x33.png", pal
    yield "src_la_33x33.png", Image.frombytes("LA", (33, 33), pattern(33, 33, 2, 4))
    yield "src_gray16_30x45.png", Image.frombytes("I;16", (30, 45), pattern(30, 45, 2, 5)).convert("I")
    yield "src_bilevel_50x20.png", Image.frombytes("L", (50, 20), pattern(50, 20, 1, 6)).convert("1")
    yield "src_rgb_33x32.png", Image.frombytes("RGB", (33, 32), pattern(33, 32, 3, 7))   # 16.5 -> 16 (half to even)
    yield "src_rgb_35x32.png", Image.frombytes("RGB", (35, 32), pattern(35, 32, 3, 8))   # 17.5 -> 18
    yield "src_l_12x20.png", Image.frombytes("L", (12, 20), pattern(12, 20, 1, 9))       # smaller than SIZE: kept
    yield "src_gray_61x40.jpg", Image.frombytes("L", (61, 40), pattern(61, 40, 1, 10))


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, im in sources():
        path = os.path.join(OUT, name)
        if name.endswith(".jpg"):
            im.save(path, quality=90)
        else:
            im.save(path, transparency=im.info["transparency"]) if "transparency" in im.info else im.save(path)
        with Image.open(path) as im:       # the former script, from here on
            im.load()
            w, h = im.size
            s = SIZE / min(w, h)
            if s < 1:
                im = im.resize((max(1, round(w * s)), max(1, round(h * s))), Image.BICUBIC)
            im.save(os.path.join(OUT, "exp_" + name[4:].rsplit(".", 1)[0] + ".png"))
            print(name, im.mode, im.size)
    print("Pillow", PIL.__version__)


if __name__ == "__main__":
    main()
