#!/usr/bin/env bash
# Front-end benchmark: clip4j tokenizer + preprocessing vs the Python reference, same inputs, same run.
#   examples/bench/run-frontend-bench.sh [CLIP_REPO]
# CLIP_REPO: an openai/CLIP checkout for the reference tokenizer (optional; without it only preprocessing is
# compared). Installs Debian's python3-torch, python3-torchvision, python3-pil, python3-regex and
# libopenblas0-pthread (needs root); CI never runs this.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"
if ! /usr/bin/python3 -c 'import torch, torchvision, PIL, regex, packaging, tqdm' 2>/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    python3-torch python3-torchvision python3-pil python3-regex python3-packaging python3-tqdm libopenblas0-pthread
fi
mvn -q -B -DskipTests install
mvn -q -B -pl examples dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
dir="$root/examples/target/frontend-bench"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%F)"
java -cp "examples/target/classes:$(cat examples/target/classpath.txt)" \
  org.clip4j.examples.bench.FrontEndBenchmark "$dir" "${CAPTIONS:-50000}" "${IMAGES:-128}"
CLIP_REPO="${1:-${CLIP_REPO:-}}" /usr/bin/python3 examples/bench/frontend_peer.py "$dir"
