#!/usr/bin/python3
"""Reference outputs for clip-eval's linear probe (LogisticRegressionTest, EvalLinearProbeTest).

Writes testdata/linear-probe/: train/val/test.safetensors (features F32 [n, d], labels I64 [n]) drawn from
four overlapping Gaussian classes (fixed seed), and sklearn.json with, for several C, the fit of
scikit-learn's LogisticRegression(C, solver="lbfgs") on the training set: its training objective
(1/n)*sum(CE) + |W|^2/(2*C*n) (computed here in float64 from coef_/intercept_), training and test accuracy,
coef_, intercept_ and n_iter_; and "sweep": the CLIP paper's search for C (validation accuracy at
log10 C = -6, -4, ..., 6, then half steps around the best down to 1/8 decade; ties go to the smaller C),
the refit on train + val at the chosen C, its objective and test accuracy.

At C <= 1e-5 scikit-learn's L-BFGS stops on SciPy's relative-decrease test (ftol = 64 eps) after a couple of
iterations, before the unpenalised intercepts have converged (the problem is badly conditioned there: the
penalty's curvature 1/(C n) dwarfs the intercepts'), and the validation accuracy of that early stop can differ
from the minimiser's. So each sweep fit is polished here by Newton's method from scikit-learn's solution
(exact Hessian; the gradient ends below 1e-12), and "evaluated" lists [log10 C, accuracy of the polished
minimiser, accuracy of scikit-learn's own solution].

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
SIZES = {"train": 200, "val": 200, "test": 400}
C_VALUES = [0.001, 0.0316, 0.316, 3.16, 100.0]


def make_data(rng):
    # Anisotropic noise (per-dimension spread from 0.2 to 4) with class means that differ in every dimension:
    # the mean-difference direction that a tiny C gives is a poor classifier, and a large C overfits.
    spread = np.logspace(np.log10(0.2), np.log10(4.0), D)
    rng.shuffle(spread)
    means = rng.normal(0.0, 0.25, size=(K, D))
    out = {}
    for split, n in SIZES.items():
        y = np.arange(n) % K
        rng.shuffle(y)
        x = means[y] + rng.normal(0.0, 1.0, size=(n, D)) * spread
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


def fit(x, y, c):
    return LogisticRegression(C=c, solver="lbfgs", tol=1e-12, max_iter=100000).fit(x, y)


def newton_polish(model, x, y, c, steps=20):
    """Newton's method on (1/n) sum CE + |W|^2/(2 C n) from the model's solution; returns [K, d+1], |grad|."""
    n, d = x.shape
    k = len(model.classes_)
    xb = np.c_[x, np.ones(n)]
    onehot = np.eye(k)[y]
    penal = np.tile(np.r_[np.ones(d), 0.0], k) / (c * n)
    theta = np.c_[model.coef_, model.intercept_].ravel()
    for _ in range(steps):
        w = theta.reshape(k, d + 1)
        z = xb @ w.T
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = ((p - onehot).T @ xb / n).ravel() + penal * theta
        h = np.diag(penal)
        for i in range(n):
            s = np.diag(p[i]) - np.outer(p[i], p[i])
            h += np.kron(s, np.outer(xb[i], xb[i])) / n
        theta = theta - np.linalg.lstsq(h, g, rcond=None)[0]  # h is singular along equal shifts of the intercepts
    w = theta.reshape(k, d + 1)
    z = xb @ w.T
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    g = ((p - onehot).T @ xb / n).ravel() + penal * theta
    return w, float(np.linalg.norm(g))


def accuracy(w, x, y):
    return float(((np.c_[x, np.ones(len(x))] @ w.T).argmax(axis=1) == y).mean())


def paper_sweep(xtr, ytr, xva, yva):
    scores = {}
    order = []

    def score(e):
        if e not in scores:
            m = fit(xtr, ytr, 10.0 ** e)
            w, gnorm = newton_polish(m, xtr, ytr, 10.0 ** e)
            assert gnorm < 1e-12, (e, gnorm)
            scores[e] = accuracy(w, xva, yva)
            order.append([e, scores[e], float((m.predict(xva) == yva).mean())])

    def best():
        top = max(scores.values())
        return min(e for e, v in scores.items() if v == top)

    for e in range(-6, 7, 2):
        score(float(e))
    step = 1.0
    while step >= 0.125:
        b = best()
        for e in (b - step, b + step):
            if -6 <= e <= 6:
                score(e)
        step /= 2
    return best(), order


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
    xva, yva = data["val"][0].astype(np.float64), data["val"][1]
    best, order = paper_sweep(xtr, ytr, xva, yva)
    xall, yall = np.concatenate([xtr, xva]), np.concatenate([ytr, yva])
    final, gnorm = newton_polish(fit(xall, yall, 10.0 ** best), xall, yall, 10.0 ** best)
    assert gnorm < 1e-12, gnorm
    sweep = {"evaluated": order, "best_log10_C": best, "C": 10.0 ** best,
             "train_objective": objective(xall, yall, final[:, :-1], final[:, -1], 10.0 ** best),
             "test_accuracy": accuracy(final, xte, yte)}
    doc = {"sklearn_version": sklearn.__version__, "numpy_version": np.__version__,
           "classes": K, "dim": D, "sizes": SIZES, "fits": fits, "sweep": sweep}
    (out / "sklearn.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "testdata/linear-probe")
