#!/usr/bin/env python3
"""PyTorch side of the model benchmark: the reference openai/CLIP model class on the same rows and shapes as
ModelBenchmark.java, float32, random initialisation, one row per process (peak RSS is per row).

Usage: CLIP_REPO=/path/to/openai-CLIP OMP_NUM_THREADS=2 /usr/bin/python3 model_peer.py ROW [STEPS]
"""
import json
import os
import resource
import sys
import time
import types

import torch
import torch.nn.functional as F

sys.modules.setdefault("ftfy", types.SimpleNamespace(fix_text=lambda s: s))  # not packaged by Debian; unused here
sys.path.insert(0, os.environ["CLIP_REPO"])
from clip.model import CLIP  # noqa: E402  (the reference model class, from the checkout)

CONFIGS = {
    # embed_dim, image_resolution, vision_layers, vision_width, vision_patch_size,
    # context_length, vocab_size, transformer_width, transformer_heads, transformer_layers
    "ViT-B-32": (512, 224, 12, 768, 32, 77, 49408, 512, 8, 12),
    "RN50": (1024, 224, (3, 4, 6, 3), 64, None, 77, 49408, 512, 8, 12),
}


WARMUP_S = float(os.environ.get("WARMUP_S", "60"))  # as ModelBenchmark.java: seconds of warm-up per phase
warmup_runs = 0


def median(steps, work):
    global warmup_runs
    start = time.perf_counter()
    while True:  # warm-up: one run at least, then more until WARMUP_S seconds have passed
        work()
        warmup_runs += 1
        if time.perf_counter() - start >= WARMUP_S:
            break
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return sorted(times)[steps // 2]


def rss_mb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return -1


def main():
    row = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    threads = int(os.environ.get("OMP_NUM_THREADS", "2"))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = CLIP(*CONFIGS["RN50" if row.startswith("rn50") else "ViT-B-32"]).float()
    model.eval()  # BatchNorm on running statistics, as the Java rows
    batch = int(row.rsplit("-", 1)[1])
    images = torch.randn(batch, 3, 224, 224)
    g = torch.Generator().manual_seed(0)
    tokens = torch.zeros(batch, 77, dtype=torch.long)
    for i in range(batch):
        n = 5 + int(torch.randint(40, (1,), generator=g))
        tokens[i, 0] = 49406
        tokens[i, 1:n] = torch.randint(1, 49001, (n - 1,), generator=g)
        tokens[i, n] = 49407

    fwd = float("nan")
    if "-train-" in row:
        labels = torch.arange(batch)

        def step():
            model.zero_grad(set_to_none=False)
            lpi, lpt = model(images, tokens)
            loss = (F.cross_entropy(lpi, labels) + F.cross_entropy(lpt, labels)) / 2
            loss.backward()

        fwd_bwd = median(steps, step)
    else:
        encode = model.encode_text if row.startswith("text") else model.encode_image
        x = tokens if row.startswith("text") else images

        def forward():
            with torch.no_grad():
                encode(x)

        def forward_backward():
            model.zero_grad(set_to_none=False)
            encode(x).sum().backward()

        def forward_with_autograd():
            encode(x)

        # torch 1.13 takes a native "fast path" for eval-mode attention under no_grad; on this Debian build it
        # is slower than the ordinary path, so report the faster of the two as PyTorch's forward.
        fwd = min(median(steps, forward), median(steps, forward_with_autograd))
        fwd_bwd = median(steps, forward_backward)
    print(json.dumps({"impl": "pytorch", "row": row, "forward_s": round(fwd, 4), "forward_backward_s": round(fwd_bwd, 4),
                      "steps": steps, "peak_rss_mb": round(rss_mb("VmHWM")), "rss_end_mb": round(rss_mb("VmRSS")),
                      "threads": threads, "torch": torch.__version__, "warmup_s": WARMUP_S,
                      "warmup_runs": warmup_runs}))


if __name__ == "__main__":
    main()
