#!/usr/bin/env bash
# Model benchmark: clip4j vs the reference PyTorch CLIP, same rows, same shapes, same thread count, same run.
#   examples/bench/run-model-bench.sh /path/to/openai-CLIP-checkout [ROW...]
# Rows: vit-b32-image-8 vit-b32-image-32 rn50-image-8 text-32 vit-b32-train-32 (default: all).
# Installs Debian's python3-torch (+ what the reference package imports) and libopenblas0-pthread (needs root);
# CI never runs this. CLIP4J_ND4J_BUILD=plain|avx2|avx512 picks the ND4J native build (default: the fastest
# the CPU supports, as bin/clip). STEPS (default 5) timed steps per measurement, median reported, after WARMUP_S
# (default 60) seconds of warm-up steps on both sides (the JVM compiles its hot paths in the first minute).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export CLIP_REPO="${1:?usage: run-model-bench.sh CLIP_REPO [ROW...]}"
shift
rows=("$@")
((${#rows[@]})) || rows=(vit-b32-image-8 vit-b32-image-32 rn50-image-8 text-32 vit-b32-train-32)
# shellcheck source=bench-setup.sh
source examples/bench/bench-setup.sh
for row in "${rows[@]}"; do
  java --add-modules jdk.incubator.vector -Xmx8g -Dorg.bytedeco.javacpp.platform.extension="$ext" -cp "$cp" \
    org.clip4j.examples.bench.ModelBenchmark "$row" "${STEPS:-5}" 2>/dev/null
  /usr/bin/python3 examples/bench/model_peer.py "$row" "${STEPS:-5}"
done
