#!/usr/bin/env python3
"""Python side of the front-end benchmark: the same captions and images as FrontEndBenchmark.java.

Preprocessing: torchvision's Resize(224, bicubic) + CenterCrop + RGB + ToTensor + Normalize, which is what the
reference clip._transform(224) composes (Debian's python3-torchvision and python3-pil).
Tokenizer: the reference SimpleTokenizer + clip.tokenize, imported from an openai/CLIP checkout named by the
CLIP_REPO environment variable (skipped when it is not set), on captions.txt and the web-like
captions_web.txt, with the real ftfy 6.3.1 when FTFY_SRC names its source tree (ftfy is not packaged by
Debian: e.g. `git archive v6.3.1` of https://github.com/rspeer/python-ftfy), and with an identity fix_text
(the "no_ftfy" figures).

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
        ftfy_src = os.environ.get("FTFY_SRC")
        real_ftfy = None
        if ftfy_src:
            sys.path.insert(0, ftfy_src)
            sys.modules.setdefault("wcwidth", types.SimpleNamespace(wcwidth=None, wcswidth=None))  # display only
            import ftfy as real_ftfy  # noqa: E402
        switch = types.SimpleNamespace(fix_text=lambda s: s)
        sys.modules["ftfy"] = switch
        sys.path.insert(0, repo)
        import clip  # noqa: E402  (the reference package, from the checkout)
        tok = clip.simple_tokenizer.SimpleTokenizer()
        for name, prefix in (("captions.txt", ""), ("captions_web.txt", "web_")):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                captions = f.read().split("\n")[:-1]
            modes = [("_no_ftfy", lambda s: s)] + ([("", real_ftfy.fix_text)] if real_ftfy else [])
            for suffix, fix in modes:
                switch.fix_text = fix
                tok = clip.simple_tokenizer.SimpleTokenizer()  # fresh cache for each mode
                clip.clip._tokenizer = tok
                clip.tokenize(captions[:2000], 77, truncate=True)  # warm-up, same as the Java side
                n_tokens = sum(len(tok.encode(c)) for c in captions)
                dt = median(lambda: clip.tokenize(captions, 77, truncate=True))
                result[prefix + "bpe_tokens"] = n_tokens
                result[prefix + "tokens_per_s" + suffix] = round(n_tokens / dt)
                if not prefix:
                    result["captions"] = len(captions)
                    result["tokenize_s" + suffix] = round(dt, 3)
                    result["captions_per_s" + suffix] = round(len(captions) / dt)
        result["ftfy"] = real_ftfy.__version__ if real_ftfy else "identity (set FTFY_SRC for the real one)"

    img_dir = os.path.join(folder, "images")
    files = sorted(os.path.join(img_dir, f) for f in os.listdir(img_dir))
    tf = clip_transform(224)
    for p in files[:16]:
        tf(Image.open(p))

    def all_one_thread():
        for p in files:
            tf(Image.open(p))

    torch.set_num_threads(1)  # the 1-thread rows: ToTensor/Normalize on this thread only, like the Java loop
    dt1 = median(all_one_thread)

    def cpu_one_thread():
        """CPU seconds of this thread for the same loop (a shared machine disturbs it less than wall time)."""
        c0 = time.thread_time()
        all_one_thread()
        return time.thread_time() - c0

    cpu1 = sorted(cpu_one_thread() for _ in range(3))[1]
    torch.set_num_threads(threads)

    def one(p):
        return tf(Image.open(p))

    def all_threads():
        with ThreadPoolExecutor(threads) as ex:  # Pillow releases the GIL while decoding and resizing
            torch.stack(list(ex.map(one, files)))

    dtn = median(all_threads)
    result.update(images=len(files), preprocess_1thread_images_per_s=round(len(files) / dt1, 1),
                  preprocess_1thread_images_per_cpu_s=round(len(files) / cpu1, 1),
                  preprocess_batch_images_per_s=round(len(files) / dtn, 1))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
