#!/usr/bin/env bash
# Training-throughput benchmark: clip4j's training step vs the same loop in PyTorch on the reference CLIP class,
# same config, batch, thread count, same run.
#   examples/bench/run-train-bench.sh /path/to/openai-CLIP-checkout [ROW...]
# Rows: tiny-64 (clip4j-tiny, batch 64) vit-b32-32 (ViT-B/32, batch 32) (default: both). STEPS (default 20)
# timed steps per row, median reported after WARMUP_S (default 60) seconds of warm-up steps on both sides.
# Installs Debian's python3-torch and libopenblas0-pthread (needs root); CI never runs this.
# CLIP4J_ND4J_BUILD=plain|avx2|avx512 as in run-model-bench.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export CLIP_REPO="${1:?usage: run-train-bench.sh CLIP_REPO [ROW...]}"
shift
rows=("$@")
((${#rows[@]})) || rows=(tiny-64 vit-b32-32)
# shellcheck source=bench-setup.sh
source examples/bench/bench-setup.sh
for row in "${rows[@]}"; do
  steps="${STEPS:-$([[ $row == tiny* ]] && echo 50 || echo 5)}"
  java --add-modules jdk.incubator.vector -Xmx4g -Dorg.bytedeco.javacpp.platform.extension="$ext" -cp "$cp" \
    org.clip4j.examples.bench.TrainBenchmark "$row" "$steps" 2>/dev/null
  /usr/bin/python3 examples/bench/train_peer.py "$row" "$steps"
done
