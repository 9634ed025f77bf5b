#!/usr/bin/env python3
"""A JPEG photo set for the data-pipeline measurement in docs/performance.md, from Debian-packaged photographs.

    apt-get install mate-backgrounds ukui-wallpapers lomiri-wallpapers
    /usr/bin/python3 examples/bench/make_photo_set.py OUT        # Pillow; about a minute

Writes OUT/full/NNNNN.jpg: 2,000 random crops (30-100 % of the source's side, 30 % portrait, half mirrored) of the
packaged wallpapers, resized (bicubic) to 640x480 or 480x640 and saved at JPEG quality 80-95 — web-photo size —
and OUT/s256/NNNNN.jpg, the same pictures at a 256-pixel shorter side (img2dataset's default size), quality 95;
with the manifests OUT/full.tsv and OUT/s256.tsv (filepath, title = "a photo of <source name>"). Seeded: the same
packages give the same files.
"""
import glob
import os
import random
import sys

from PIL import Image, ImageOps

DIRS = ('/usr/share/backgrounds', '/usr/share/wallpapers', '/usr/share/ukui-background-properties')
COUNT = 2000


def main(out):
    random.seed(7)
    sources = sorted(p for d in DIRS for p in glob.glob(d + '/**/*.jp*g', recursive=True))
    # mate-backgrounds ships some pictures at several sizes: one of each
    sources = [p for p in sources if '_3840x' not in p and '_5640x' not in p]
    if not sources:
        sys.exit('no JPEGs under ' + ', '.join(DIRS) + ': apt-get install mate-backgrounds ukui-wallpapers lomiri-wallpapers')
    for sub in ('full', 's256'):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    per = COUNT // len(sources) + 1
    rows = []
    for path in sources:
        image = Image.open(path).convert('RGB')
        width, height = image.size
        name = os.path.splitext(os.path.basename(path))[0].replace('_', ' ')
        for _ in range(per):
            if len(rows) >= COUNT:
                break
            portrait = random.random() < 0.3
            aspect = 3 / 4 if portrait else 4 / 3
            crop_w = min(width, int(height * aspect)) * random.uniform(0.3, 1.0)
            crop_h = crop_w / aspect
            x0, y0 = random.uniform(0, width - crop_w), random.uniform(0, height - crop_h)
            crop = image.crop((int(x0), int(y0), int(x0 + crop_w), int(y0 + crop_h)))
            if random.random() < 0.5:
                crop = ImageOps.mirror(crop)
            crop = crop.resize((480, 640) if portrait else (640, 480), Image.BICUBIC)
            file = f'{len(rows):05d}.jpg'
            crop.save(os.path.join(out, 'full', file), quality=random.randint(80, 95))
            scale = 256 / min(crop.size)
            small = crop.resize((round(crop.size[0] * scale), round(crop.size[1] * scale)), Image.BICUBIC)
            small.save(os.path.join(out, 's256', file), quality=95)
            rows.append((file, f'a photo of {name}'))
    for sub in ('full', 's256'):
        with open(os.path.join(out, sub + '.tsv'), 'w') as manifest:
            manifest.write('filepath\ttitle\n')
            for file, caption in rows:
                manifest.write(f'{sub}/{file}\t{caption}\n')
    print(f'{len(sources)} sources, {len(rows)} images in {out}')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
