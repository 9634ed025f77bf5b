#!/usr/bin/env python3
"""PyTorch side of the matrix-multiply limit: C = A·B for float32 square matrices through torch.matmul into a
preallocated C, one warm-up product then the median of REPS timed ones, the same as SgemmBenchmark.java; prints
one JSON line.

Usage: OMP_NUM_THREADS=2 /usr/bin/python3 sgemm_peer.py [N] [REPS]      (defaults 2048, 7)
"""
import json
import os
import sys
import time

import torch


def main():
    args = sys.argv[1:] + ["2048", "7"][len(sys.argv) - 1:]
    if len(args) != 2 or not all(a.isdigit() and int(a) > 0 for a in args):
        sys.exit(f"sgemm_peer.py: N and REPS must be positive integers, got {' '.join(sys.argv[1:])}")
    n, reps = map(int, args)
    threads = int(os.environ.get("OMP_NUM_THREADS", "2"))
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    a = torch.rand(n, n, generator=g) - 0.5  # [n, n]
    b = torch.rand(n, n, generator=g) - 0.5  # [n, n]
    c = torch.empty(n, n)                    # [n, n], overwritten by every product
    torch.matmul(a, b, out=c)  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.matmul(a, b, out=c)
        times.append(time.perf_counter() - t0)
    seconds = sorted(times)[reps // 2]
    print(json.dumps({"impl": "pytorch", "row": f"sgemm-{n}", "native_build": "torch", "n": n, "reps": reps,
                      "seconds": round(seconds, 5), "gflops": round(2.0 * n ** 3 / seconds / 1e9, 1),
                      "threads": threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
