#!/usr/bin/env python3
"""Python side of the front-end benchmark: the same captions and images as FrontEndBenchmark.java.

Preprocessing: torchvision's Resize(224, bicubic) + CenterCrop + RGB + ToTensor + Normalize, which is what the
reference clip._transform(224) composes (Debian's python3-torchvision and python3-pil).
Tokenizer: the reference SimpleTokenizer + clip.tokenize, imported from an openai/CLIP checkout named by the
CLIP_REPO environment variable (skipped when it is not set). ftfy is not packaged by Debian; like the
reference fixtures, it runs with an identity fix_text.

Usage: OMP_NUM_THREADS=2 /usr/bin/python3 frontend_peer.py DIR
"""
import json
import os
import sys
import time
import types
from concurrent.futures import ThreadPoolExecutor

import torch
from PIL import Image
from torchvision import transforms as T

MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)


def clip_transform(n):
    return T.Compose([
        T.Resize(n, interpolation=T.InterpolationMode.BICUBIC),
        T.CenterCrop(n),
        lambda im: im.convert("RGB"),
        T.ToTensor(),
        T.Normalize(MEAN, STD),
    ])


def median(work):
    """Median wall time of 3 runs (the Java side does the same)."""
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return sorted(times)[1]


def main():
    folder = sys.argv[1]
    threads = int(os.environ.get("OMP_NUM_THREADS", "2"))
    torch.set_num_threads(threads)
    result = {"impl": "python-reference", "torch": torch.__version__, "threads": threads}

    repo = os.environ.get("CLIP_REPO")
    if repo:
        sys.modules.setdefault("ftfy", types.SimpleNamespace(fix_text=lambda s: s))
        sys.path.insert(0, repo)
        import clip  # noqa: E402  (the reference package, from the checkout)
        with open(os.path.join(folder, "captions.txt"), encoding="utf-8") as f:
            captions = f.read().split("\n")[:-1]
        tok = clip.simple_tokenizer.SimpleTokenizer()
        clip.tokenize(captions[:2000], 77, truncate=True)  # warm-up, same as the Java side
        n_tokens = sum(len(tok.encode(c)) for c in captions)
        dt = median(lambda: clip.tokenize(captions, 77, truncate=True))
        result.update(captions=len(captions), bpe_tokens=n_tokens, tokenize_s=round(dt, 3),
                      tokens_per_s=round(n_tokens / dt), captions_per_s=round(len(captions) / dt))

    img_dir = os.path.join(folder, "images")
    files = sorted(os.path.join(img_dir, f) for f in os.listdir(img_dir))
    tf = clip_transform(224)
    for p in files[:16]:
        tf(Image.open(p))

    def all_one_thread():
        for p in files:
            tf(Image.open(p))

    dt1 = median(all_one_thread)

    def one(p):
        return tf(Image.open(p))

    def all_threads():
        with ThreadPoolExecutor(threads) as ex:  # Pillow releases the GIL while decoding and resizing
            torch.stack(list(ex.map(one, files)))

    dtn = median(all_threads)
    result.update(images=len(files), preprocess_1thread_images_per_s=round(len(files) / dt1, 1),
                  preprocess_batch_images_per_s=round(len(files) / dtn, 1))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
