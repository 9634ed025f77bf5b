#!/usr/bin/env python3
"""Summary of one run-all-bench.sh run: the JSON lines of its log -> a Markdown report with the machine line, the
sgemm rows (the limit = the best rate among them) and one table of every model and training row: the matrix-product
FLOP of one step (counted from the model configs), clip4j's and PyTorch's seconds, their ratio, and each side's
fraction of the limit (FLOP / seconds / limit).

Usage: python3 summarise_bench.py LOG.jsonl [OUT.md]      (Markdown to OUT.md, else to stdout)
       python3 summarise_bench.py --flops                 (only the FLOP counts, with their breakdown)

How FLOPs are counted (the same text is in docs/performance.md):
- Only matrix products and convolutions: 2*m*n*k per product [m, k] x [k, n] (one multiply and one add per term),
  2*Hout*Wout*Cin*Cout*kh*kw per convolution. Element-wise work (LayerNorm, softmax, QuickGELU, BatchNorm, ReLU,
  pooling, residual adds, the optimiser update) is not counted: it is a few percent of the arithmetic and is not
  what the sgemm limit measures.
- Forward + backward = 3 x forward (each product's backward is two products of the same size: the data gradient
  and the weight gradient). This over-counts the data gradient of a tower's first layer, which neither side
  computes (the pixels need no gradient): 0.23 GFLOP per image for ViT-B/32, 0.9 % of its forward+backward.
- ViT image tower per image: the patch embedding as one GEMM [patches, 3*p*p] x [3*p*p, width]; per block on
  tokens = patches + 1: QKV [t, w] x [w, 3w], attention scores and context 2*t*t*w each (all heads together),
  out projection [t, w] x [w, w], MLP [t, w] x [w, 4w] and [t, 4w] x [4w, w]; the final projection of the class
  token [1, w] x [w, embed].
- Text tower per caption: the same blocks on all context_length tokens (the causal mask does not skip work:
  both sides compute the full score matrix), the token embedding is a lookup (no product), the projection of the
  end token [1, w] x [w, embed].
- ModifiedResNet (RN50) per image, walked from the config as the reference builds it: the three stem 3x3
  convolutions, per bottleneck 1x1 -> 3x3 (at the input resolution) -> 1x1 (after the stride's average pool),
  the 1x1 downsample convolution where the shape changes, and the attention pool (k and v over HW+1 tokens, q for
  the first token only, its scores and context, the output projection).
- A CLIP training step: 3 x (batch x (image + text forward) + the logits [n, e] x [e, n]).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(HERE, "..", "..", "clip-core", "src", "main", "resources", "org", "clip4j", "core", "model", "configs")


def product(m, k, n):
    """FLOP of [m, k] x [k, n]."""
    return 2 * m * k * n


def conv(h_out, w_out, c_in, c_out, k):
    """FLOP of a k x k convolution producing [c_out, h_out, w_out] from c_in channels."""
    return 2 * h_out * w_out * c_in * c_out * k * k


def transformer_block(t, w, mlp_ratio):
    """FLOP of one residual attention block on t tokens of width w."""
    hidden = int(w * mlp_ratio)
    return (product(t, w, 3 * w)        # q, k, v
            + 2 * t * t * w             # scores q k^T, all heads: heads x [t, w/heads] x [w/heads, t]
            + 2 * t * t * w             # context softmax(scores) v: heads x [t, t] x [t, w/heads]
            + product(t, w, w)          # out projection
            + product(t, w, hidden)     # MLP up
            + product(t, hidden, w))    # MLP down


def vit_image(v, embed):
    """Breakdown (name -> FLOP) of a ViT image tower's forward for one image."""
    p, w, layers = v["patch_size"], v["width"], v["layers"]
    patches = (v["image_size"] // p) ** 2
    t = patches + 1
    return {
        "patch embedding": product(patches, 3 * p * p, w),
        f"{layers} block{'s' if layers > 1 else ''} of {t} tokens, width {w}": layers * transformer_block(t, w, v.get("mlp_ratio", 4.0)),
        "projection": product(1, w, embed),
    }


def resnet_image(v, embed):
    """Breakdown (name -> FLOP) of a ModifiedResNet image tower's forward for one image."""
    width, s = v["width"], v["image_size"] // 2  # conv1 has stride 2
    stem = conv(s, s, 3, width // 2, 3) + conv(s, s, width // 2, width // 2, 3) + conv(s, s, width // 2, width, 3)
    s //= 2  # the stem's 2x2 average pool
    parts = {"stem (3 convolutions)": stem}
    inplanes = width
    for i, blocks in enumerate(v["layers"]):
        planes, f = width * 2 ** i, 0
        for b in range(blocks):
            stride = 2 if i > 0 and b == 0 else 1
            out = s // stride
            f += conv(s, s, inplanes, planes, 1) + conv(s, s, planes, planes, 3) + conv(out, out, planes, 4 * planes, 1)
            if stride > 1 or inplanes != 4 * planes:
                f += conv(out, out, inplanes, 4 * planes, 1)  # downsample (after its average pool)
            inplanes, s = 4 * planes, out
        parts[f"layer{i + 1} ({blocks} bottlenecks)"] = f
    c, t = 32 * width, s * s + 1
    parts["attention pool"] = (product(1, c, c) + 2 * product(t, c, c)  # q of the first token; k, v of all
                               + 2 * t * c + 2 * t * c                # its scores and context
                               + product(1, c, embed))                # output projection
    return parts


def text_tower(t_cfg, embed):
    """Breakdown (name -> FLOP) of the text tower's forward for one caption."""
    t, w, layers = t_cfg["context_length"], t_cfg["width"], t_cfg["layers"]
    return {
        f"{layers} block{'s' if layers > 1 else ''} of {t} tokens, width {w}": layers * transformer_block(t, w, t_cfg.get("mlp_ratio", 4.0)),
        "projection": product(1, w, embed),
    }


def load(name):
    with open(os.path.join(CONFIGS, name + ".json")) as f:
        c = json.load(f)
    v = c["vision_cfg"]
    image = resnet_image(v, c["embed_dim"]) if isinstance(v["layers"], list) else vit_image(v, c["embed_dim"])
    return {"name": name, "embed": c["embed_dim"], "image": image, "text": text_tower(c["text_cfg"], c["embed_dim"])}


def step_flop(model, batch):
    """FLOP of one CLIP forward+backward: both towers and the logits, 3 x forward."""
    logits = product(batch, model["embed"], batch)
    return 3 * (batch * (sum(model["image"].values()) + sum(model["text"].values())) + logits)


VIT, RN50, TINY = "ViT-B-32-quickgelu", "RN50-quickgelu", "clip4j-tiny"
# Every row of run-all-bench.sh: log row id -> (model config, what is timed, batch, label).
ROWS = {
    "vit-b32-image-8": (VIT, "image", 8, "ViT-B/32 image, batch 8"),
    "vit-b32-image-32": (VIT, "image", 32, "ViT-B/32 image, batch 32"),
    "rn50-image-8": (RN50, "image", 8, "RN50 image, batch 8"),
    "text-32": (VIT, "text", 32, "text, batch 32, context 77"),
    "vit-b32-train-32": (VIT, "step", 32, "ViT-B/32 forward+backward of both towers and the loss, batch 32"),
    "tiny-64": (TINY, "train", 64, "`clip4j-tiny` training step with AdamW, batch 64"),
    "vit-b32-32": (VIT, "train", 32, "ViT-B/32 training step with AdamW, batch 32"),
}


def lines_of(model, kind, batch, label):
    """(label, FLOP, JSON field holding the seconds) of each table line the row gives."""
    if kind in ("image", "text"):
        f = batch * sum(model[kind].values())
        return [(f"{label}, forward", f, "forward_s"), (f"{label}, forward+backward", 3 * f, "forward_backward_s")]
    if kind == "step":
        return [(label, step_flop(model, batch), "forward_backward_s")]
    return [(label, step_flop(model, batch), "step_s")]


def build_name(ext):
    """'-onednn-avx2' -> 'onednn-avx2'; '' or None -> 'plain' (the OpenBLAS build)."""
    return (ext or "plain").lstrip("-")


def giga(f, big=1e11):
    """FLOP with a unit prefix: 1,418.6 G (from `big` up), 8.818 G, 3.48 M."""
    if f >= big:
        return f"{f / 1e9:,.1f} G"
    return f"{f / 1e9:.3f} G" if f >= 1e9 else f"{f / 1e6:.2f} M"


def percent(flop, seconds, limit_gflops):
    if seconds is None or not limit_gflops:
        return "—"
    p = 100 * flop / seconds / (limit_gflops * 1e9)
    return f"{p:.1f} %" if p < 10 else f"{p:.0f} %"


def seconds_text(s):
    return "—" if s is None else f"{s:.4f}" if s < 1 else f"{s:.3f}" if s < 10 else f"{s:.2f}"


def flop_section(models):
    out = ["FLOP counted per forward (matrix products and convolutions only; forward+backward = 3 x):", ""]
    for name, tower, unit in ((VIT, "image", "image"), (VIT, "text", "caption"), (RN50, "image", "image"),
                              (TINY, "image", "image"), (TINY, "text", "caption")):
        parts = models[name][tower]
        detail = "; ".join(f"{k} {giga(v)}" for k, v in parts.items())
        out.append(f"- `{name}` {tower} tower: {giga(sum(parts.values()))}FLOP per {unit} ({detail})")
    vit = models[VIT]
    pair = sum(vit["image"].values()) + sum(vit["text"].values())
    out.append(f"- ViT-B/32 pair (image + caption) forward: {giga(pair)}FLOP; training step at batch 32: "
               f"{giga(step_flop(vit, 32))}FLOP (the logits {giga(3 * product(32, vit['embed'], 32))}FLOP of it)")
    out.append(f"- `clip4j-tiny` training step at batch 64: {giga(step_flop(models[TINY], 64))}FLOP")
    return out


def main():
    models = {n: load(n) for n in (VIT, RN50, TINY)}
    if sys.argv[1:] == ["--flops"]:
        print("\n".join(flop_section(models)))
        return
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.split("\n\n")[1])
    records = []
    if not os.path.isfile(sys.argv[1]):
        sys.exit(f"summarise_bench.py: {sys.argv[1]}: no such file (expected the JSON-lines log of run-all-bench.sh)")
    with open(sys.argv[1]) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as e:
                    sys.exit(f"{sys.argv[1]} line {n}: not a JSON line ({e.msg})")
    out = [r["text"] for r in records if r.get("impl") == "machine"] + [""]

    sgemm = [r for r in records if str(r.get("row", "")).startswith("sgemm-")]
    limit = max((r["gflops"] for r in sgemm), default=None)
    if sgemm:
        out += ["| sgemm (float32, C = A·B) | build | s per product | GFLOP/s | % of the limit |",
                "| --- | --- | ---: | ---: | ---: |"]
        for r in sgemm:
            n = r["n"]
            out.append(f"| {n}×{n}×{n}, {r['impl']} | {build_name(r['native_build'])} | {r['seconds']:.4f} | {r['gflops']:.1f} | "
                       f"{100 * r['gflops'] / limit:.0f} % |")
        best = max(sgemm, key=lambda r: r["gflops"])
        out += ["", f"Limit: {limit:.1f} GFLOP/s ({best['impl']}, {build_name(best['native_build'])}).", ""]
    else:
        out += ["No sgemm row in the log: no limit, the % columns stay empty.", ""]

    by_row = {}
    for r in records:
        if r.get("row") in ROWS and r.get("impl") in ("clip4j", "pytorch"):
            by_row.setdefault(r["row"], {})[r["impl"]] = r
    builds = sorted({build_name(r.get("native_build")) for x in by_row.values() for r in x.values()
                     if r["impl"] == "clip4j"})
    if by_row:
        out += [f"Model and training rows (clip4j on ND4J build {', '.join(builds)}):", ""]
    else:
        out += ["No model or training row in the log."]
    out += ["| row | FLOP per step (counted) | clip4j s | PyTorch s | ratio clip4j/PyTorch | clip4j % of limit "
            "| PyTorch % of limit |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"] if by_row else []
    for row, (model, kind, batch, label) in ROWS.items():
        if row not in by_row:
            continue
        for text, flop, field in lines_of(models[model], kind, batch, label):
            c = by_row[row].get("clip4j", {}).get(field)
            p = by_row[row].get("pytorch", {}).get(field)
            ratio = f"**{c / p:.2f}**" if c and p else "—"
            out.append(f"| {text} (`{row}`) | {giga(flop, 1e10)} | {seconds_text(c)} | {seconds_text(p)} | {ratio} | "
                       f"{percent(flop, c, limit)} | {percent(flop, p, limit)} |")
    unknown = sorted({r.get("row") for r in records if r.get("impl") != "machine"} - set(ROWS)
                     - {r["row"] for r in sgemm})
    if unknown:
        out += ["", f"Rows in the log this summary does not know (left out): {', '.join(map(str, unknown))}."]
    out += [""] + flop_section(models)
    text = "\n".join(out) + "\n"
    if len(sys.argv) == 3:
        with open(sys.argv[2], "w") as f:
            f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
