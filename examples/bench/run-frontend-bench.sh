#!/usr/bin/env bash
# Front-end benchmark: clip4j tokenizer + preprocessing vs the Python reference, same inputs, same run.
#   examples/bench/run-frontend-bench.sh [CLIP_REPO]
# CLIP_REPO: an openai/CLIP checkout for the reference tokenizer (optional; without it only preprocessing is
# compared). Installs Debian's python3-torch, python3-torchvision, python3-pil, python3-regex and
# libopenblas0-pthread (needs root); CI never runs this.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=bench-setup.sh
source examples/bench/bench-setup.sh   # peer packages, build, class path ($cp), machine line
dir="$root/examples/target/frontend-bench"
java --add-modules jdk.incubator.vector -cp "$cp" \
  org.clip4j.examples.bench.FrontEndBenchmark "$dir" "${CAPTIONS:-50000}" "${IMAGES:-128}"
CLIP_REPO="${1:-${CLIP_REPO:-}}" /usr/bin/python3 examples/bench/frontend_peer.py "$dir"
