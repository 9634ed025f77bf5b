#!/usr/bin/env python3
"""Writes src/test/resources/org/clip4j/core/image/extra/enhance.json: Pillow's ImageEnhance (Brightness, Contrast, Color), RGB->L->RGB and
crop + bicubic resize on a small deterministic RGB image, the operations TrainTransform reproduces.
Run with Debian's Pillow: /usr/bin/python3 clip-core/src/test/scripts/pil_enhance.py > clip-core/src/test/resources/org/clip4j/core/image/extra/enhance.json"""
import json
import PIL
from PIL import Image, ImageEnhance

w, h = 7, 5
pixels = bytes(((x * 37 + y * 91 + c * 53) * 7 + 13) % 256 for y in range(h) for x in range(w) for c in range(3))
img = Image.frombytes("RGB", (w, h), pixels)
out = {"pillow": PIL.__version__, "width": w, "height": h, "rgb": list(pixels), "cases": []}
for name, cls in (("brightness", ImageEnhance.Brightness), ("contrast", ImageEnhance.Contrast), ("saturation", ImageEnhance.Color)):
    for f in (0.0, 0.37, 0.7, 1.0, 1.3, 1.85):
        out["cases"].append({"op": name, "factor": f, "rgb": list(cls(img).enhance(f).tobytes())})
out["cases"].append({"op": "grayscale", "rgb": list(img.convert("L").convert("RGB").tobytes())})
# torchvision's resized_crop on PIL: crop((left, top, left + width, top + height)) then resize((s, s), BICUBIC)
for top, left, ch, cw, s in ((1, 2, 3, 4, 6), (0, 0, 5, 7, 3), (2, 1, 2, 5, 4)):
    r = img.crop((left, top, left + cw, top + ch)).resize((s, s), Image.BICUBIC)
    out["cases"].append({"op": "resized_crop", "top": top, "left": left, "height": ch, "width": cw, "size": s, "rgb": list(r.tobytes())})
print(json.dumps(out))
