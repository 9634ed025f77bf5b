#!/usr/bin/python3
"""Reference outputs for clip-eval's linear probe (LogisticRegressionTest, EvalLinearProbeTest).

Writes testdata/linear-probe/: train/val/test.safetensors (features F32 [n, d], labels I64 [n]) drawn from
four overlapping Gaussian classes (fixed seed), and sklearn.json with, for several C, the fit of
scikit-learn's LogisticRegression(C, solver="lbfgs") on the training set: its training objective
(1/n)*sum(CE) + |W|^2/(2*C*n) (computed here in float64 from coef_/intercept_), training and test accuracy,
coef_, intercept_ and n_iter_.

Run with Debian's scikit-learn (apt-get install python3-sklearn):
    /usr/bin/python3 clip-eval/src/test/scripts/sklearn_logreg.py testdata/linear-probe
CI does not run this script; it reads the stored output.
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

K, D = 4, 24
SIZES = {"train": 240, "val": 80, "test": 160}
C_VALUES = [0.001, 0.0316, 0.316, 3.16, 100.0]


def make_data(rng):
    means = rng.normal(0.0, 0.3, size=(K, D))  # close means: the classes overlap
    scales = 1.2 + 0.4 * rng.random(K)  # class-specific spread
    out = {}
    for split, n in SIZES.items():
        y = np.arange(n) % K
        rng.shuffle(y)
        x = means[y] + rng.normal(0.0, 1.0, size=(n, D)) * scales[y][:, None]
        out[split] = (x.astype(np.float32), y.astype(np.int64))
    return out


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, arr in tensors.items():
        dtype = {np.float32: "F32", np.int64: "I64"}[arr.dtype.type]
        raw = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def objective(x, y, coef, intercept, c):
    z = x @ coef.T + intercept
    zmax = z.max(axis=1, keepdims=True)
    lse = (zmax + np.log(np.exp(z - zmax).sum(axis=1, keepdims=True)))[:, 0]
    ce = lse - z[np.arange(len(y)), y]
    n = len(y)
    return float(ce.mean() + (coef ** 2).sum() / (2.0 * c * n))


def main(out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = make_data(np.random.RandomState(20240601))
    for split, (x, y) in data.items():
        write_safetensors(out / f"{split}.safetensors", {"features": x, "labels": y},
                          {"source": "clip-eval/src/test/scripts/sklearn_logreg.py", "split": split})
    xtr, ytr = data["train"][0].astype(np.float64), data["train"][1]
    xte, yte = data["test"][0].astype(np.float64), data["test"][1]
    fits = []
    for c in C_VALUES:
        m = LogisticRegression(C=c, solver="lbfgs", tol=1e-12, max_iter=100000)
        m.fit(xtr, ytr)
        fits.append({
            "C": c,
            "train_objective": objective(xtr, ytr, m.coef_, m.intercept_, c),
            "train_accuracy": float((m.predict(xtr) == ytr).mean()),
            "test_accuracy": float((m.predict(xte) == yte).mean()),
            "n_iter": int(m.n_iter_[0]),
            "coef": m.coef_.tolist(),
            "intercept": m.intercept_.tolist(),
        })
    doc = {"sklearn_version": sklearn.__version__, "numpy_version": np.__version__,
           "classes": K, "dim": D, "sizes": SIZES, "fits": fits}
    (out / "sklearn.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "testdata/linear-probe")
