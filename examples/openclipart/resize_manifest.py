#!/usr/bin/env python3
"""Writes a copy of an openclipart manifest (from `clip data openclipart`) whose images are resized once so that
their shorter side is SIZE pixels (Pillow bicubic, RGBA kept), as img2dataset resizes at download time: decoding
the original drawings (up to 21,000 px wide) dominates training otherwise.

Usage: /usr/bin/python3 resize_manifest.py IN_DIR OUT_DIR SIZE   (IN_DIR holds train.tsv, val.tsv, test.tsv)"""
import csv
import os
import sys

from PIL import Image

Image.MAX_IMAGE_PIXELS = None  # the 20,990 x 29,700 stop sign is a drawing, not a bomb


def main():
    src, dst, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.makedirs(os.path.join(dst, "images"), exist_ok=True)
    for split in ("train", "val", "test"):
        with open(os.path.join(src, split + ".tsv"), newline="") as f, \
                open(os.path.join(dst, split + ".tsv"), "w", newline="") as g:
            rows = csv.DictReader(f, delimiter="\t")
            out = csv.writer(g, delimiter="\t", lineterminator="\n")
            out.writerow(rows.fieldnames)
            for row in rows:
                name = row["category"] + "__" + os.path.basename(row["filepath"])
                target = os.path.join(dst, "images", name)
                if not os.path.exists(target):
                    with Image.open(row["filepath"]) as im:
                        im.load()
                        w, h = im.size
                        s = size / min(w, h)
                        if s < 1:
                            im = im.resize((max(1, round(w * s)), max(1, round(h * s))), Image.BICUBIC)
                        im.save(target)
                out.writerow([os.path.join("images", name) if k == "filepath" else row[k] for k in rows.fieldnames])


if __name__ == "__main__":
    main()
