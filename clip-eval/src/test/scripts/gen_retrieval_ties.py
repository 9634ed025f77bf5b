#!/usr/bin/python3
"""Expected tie orders for RetrievalMetrics: torch.argsort(descending=True) on logits with many ties.

Run with Debian's python3-torch (CPU):  /usr/bin/python3 gen_retrieval_ties.py > ../resources/retrieval/torch_argsort_ties.json

For each matrix (float32 logits, rows = images, columns = texts) it stores, as open_clip's get_clip_metrics does,
torch.argsort(logits, descending=True) of every row (image -> text) and of every row of logits.t()
(text -> image), the 0-based position of the true index (the diagonal) in each, and the metrics open_clip
reports from them (mean rank = mean + 1, median rank = floor(median) + 1, R@k = mean(position < k)); and the
same metrics with torch.argsort(..., stable=True) (ties in index order).
"""
import json
import sys

import numpy as np
import torch


def matrices():
    g = torch.Generator().manual_seed(20261204)
    out = {}
    # few distinct values: ties everywhere, rows longer than 16 (std::sort's insertion-sort threshold)
    out["levels_40"] = torch.randint(0, 4, (40, 40), generator=g).float() * 0.25
    # all-equal rows and columns (all-black images: identical image features), mixed with random scores
    m = torch.randn(50, 50, generator=g)
    m[3, :] = 0.5
    m[17, :] = 0.5
    m[:, 29] = -0.25
    m[40:, :] = 1.0  # ten identical images: their rows are equal, and ties down their columns
    out["black_rows_50"] = m
    # repeated captions: duplicate columns; scores rounded to 1/16 so ties are common
    m = torch.round(torch.randn(64, 64, generator=g) * 4) / 16
    for dup, src in [(5, 1), (9, 1), (33, 20), (60, 20), (61, 20)]:
        m[:, dup] = m[:, src]
    out["dup_captions_64"] = m
    # a whole matrix of one value: every row all equal
    out["constant_37"] = torch.full((37, 37), 3.0)
    # small and mid sizes (insertion sort only below 17 elements; introsort above)
    out["levels_12"] = torch.randint(0, 3, (12, 12), generator=g).float()
    out["levels_100"] = torch.randint(0, 6, (100, 100), generator=g).float() - 2.5
    return out


def metrics(ranking):
    n = ranking.shape[0]
    truth = torch.arange(n).view(-1, 1)
    preds = torch.where(ranking == truth)[1].numpy()
    r = {"mean_rank": float(preds.mean() + 1), "median_rank": float(np.floor(np.median(preds)) + 1)}
    for k in (1, 5, 10):
        r["R@%d" % k] = float(np.mean(preds < k))
    return preds.tolist(), r


def main():
    cases = []
    for name, logits in matrices().items():
        logits = logits.to(torch.float32).contiguous()
        i2t = torch.argsort(logits, descending=True)
        t2i = torch.argsort(logits.t(), descending=True)  # open_clip's logits_per_text is the transpose
        pi, mi = metrics(i2t)
        pt, mt = metrics(t2i)
        _, si = metrics(torch.argsort(logits, descending=True, stable=True))
        _, st = metrics(torch.argsort(logits.t(), descending=True, stable=True))
        cases.append({
            "name": name,
            "logits": logits.tolist(),
            "image_to_text_argsort": i2t.tolist(),
            "text_to_image_argsort": t2i.tolist(),
            "image_to_text_positions": pi,
            "text_to_image_positions": pt,
            "metrics": {**{"image_to_text_" + k: v for k, v in mi.items()},
                        **{"text_to_image_" + k: v for k, v in mt.items()}},
            "metrics_stable": {**{"image_to_text_" + k: v for k, v in si.items()},
                               **{"text_to_image_" + k: v for k, v in st.items()}},
        })
    json.dump({"generator": "clip-eval/src/test/scripts/gen_retrieval_ties.py",
               "torch": torch.__version__, "numpy": np.__version__, "cases": cases},
              sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
