#!/usr/bin/env python3
"""PyTorch side of the training benchmark: the same loop as TrainBenchmark.java on the reference openai/CLIP
model class — zero grad, forward, symmetric cross-entropy, backward, AdamW (OpenCLIP's two groups: no decay on
ndim < 2, norms, biases, logit_scale; betas 0.9/0.98, eps 1e-6), clamp logit_scale to ln 100 — float32, fixed
random inputs, one row per process.

Usage: CLIP_REPO=/path/to/openai-CLIP OMP_NUM_THREADS=2 /usr/bin/python3 train_peer.py ROW [STEPS]
  ROW: tiny-64 | vit-b32-32
"""
import json
import math
import os
import sys
import time
import types

import torch
import torch.nn.functional as F

sys.modules.setdefault("ftfy", types.SimpleNamespace(fix_text=lambda s: s))  # not packaged by Debian; unused here
sys.path.insert(0, os.environ["CLIP_REPO"])
from clip.model import CLIP, VisionTransformer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(HERE, "..", "..", "clip-core", "src", "main", "resources", "org", "clip4j", "core", "model", "configs")


def build(name):
    with open(os.path.join(CONFIGS, name + ".json")) as f:
        c = json.load(f)
    v, t = c["vision_cfg"], c["text_cfg"]
    model = CLIP(c["embed_dim"], v["image_size"], v["layers"], v["width"], v["patch_size"], t["context_length"],
                 t["vocab_size"], t["width"], t["heads"], t["layers"])
    heads = v["width"] // v.get("head_width", 64)
    if heads != v["width"] // 64:  # the reference class fixes 64-wide heads: rebuild the tower with the config's
        model.visual = VisionTransformer(v["image_size"], v["patch_size"], v["width"], v["layers"], heads, c["embed_dim"])
    return model.float(), v["image_size"], t["context_length"]


def rss_mb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return -1


def main():
    row = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    threads = int(os.environ.get("OMP_NUM_THREADS", "2"))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, res, ctx = build("clip4j-tiny" if row.startswith("tiny") else "ViT-B-32-quickgelu")
    model.train()
    batch = int(row.rsplit("-", 1)[1])
    images = torch.randn(batch, 3, res, res)
    g = torch.Generator().manual_seed(0)
    tokens = torch.zeros(batch, ctx, dtype=torch.long)
    for i in range(batch):
        n = min(ctx - 1, 5 + int(torch.randint(10, (1,), generator=g)))
        tokens[i, 0] = 49406
        tokens[i, 1:n] = torch.randint(1, 49001, (n - 1,), generator=g)
        tokens[i, n] = 49407
    exclude = lambda n, p: p.ndim < 2 or "bn" in n or "ln" in n or "bias" in n or "logit_scale" in n
    named = list(model.named_parameters())
    opt = torch.optim.AdamW([
        {"params": [p for n, p in named if exclude(n, p)], "weight_decay": 0.0},
        {"params": [p for n, p in named if not exclude(n, p)], "weight_decay": 0.2},
    ], lr=1e-4, betas=(0.9, 0.98), eps=1e-6)
    labels = torch.arange(batch)

    def step():
        opt.zero_grad(set_to_none=False)
        lpi, lpt = model(images, tokens)
        loss = (F.cross_entropy(lpi, labels) + F.cross_entropy(lpt, labels)) / 2
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))

    warmup_s = float(os.environ.get("WARMUP_S", "60"))
    start = time.perf_counter()
    warmup_runs = 0
    while True:  # warm-up as TrainBenchmark.java: one step at least, then more until WARMUP_S seconds have passed
        step()
        warmup_runs += 1
        if time.perf_counter() - start >= warmup_s:
            break
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    median = sorted(times)[steps // 2]
    print(json.dumps({"impl": "pytorch", "row": row, "step_s": round(median, 4), "samples_per_s": round(batch / median, 1),
                      "steps": steps, "peak_rss_mb": round(rss_mb("VmHWM")), "rss_end_mb": round(rss_mb("VmRSS")),
                      "parameters": sum(p.numel() for p in model.parameters()), "threads": threads,
                      "torch": torch.__version__, "warmup_s": warmup_s,
                      "warmup_runs": warmup_runs}))


if __name__ == "__main__":
    main()
