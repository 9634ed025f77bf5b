#!/usr/bin/env bash
# Training-throughput benchmark: clip4j's training step vs the same loop in PyTorch on the reference CLIP class,
# same config, batch, thread count, same run.
#   examples/bench/run-train-bench.sh /path/to/openai-CLIP-checkout [ROW...]
# Rows: tiny-64 (clip4j-tiny, batch 64) vit-b32-32 (ViT-B/32, batch 32) (default: both). STEPS (default 20)
# timed steps per row, median reported. Installs Debian's python3-torch and libopenblas0-pthread (needs root);
# CI never runs this. CLIP4J_ND4J_BUILD=plain|avx2|avx512 as in run-model-bench.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export CLIP_REPO="${1:?usage: run-train-bench.sh CLIP_REPO [ROW...]}"
shift
rows=("$@")
((${#rows[@]})) || rows=(tiny-64 vit-b32-32)
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"
if ! /usr/bin/python3 -c 'import torch, torchvision, PIL, regex, packaging, tqdm' 2>/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    python3-torch python3-torchvision python3-pil python3-regex python3-packaging python3-tqdm libopenblas0-pthread
fi
mvn -q -B -DskipTests install
mvn -q -B -pl examples dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
cp="examples/target/classes:$(cat examples/target/classpath.txt):$(ls clip-cli/target/lib/nd4j-native-*-onednn-*.jar | tr '\n' ':')"
case "${CLIP4J_ND4J_BUILD:-auto}" in
  plain) ext="" ;;
  avx2) ext="-onednn-avx2" ;;
  avx512) ext="-onednn-avx512" ;;
  auto) if grep -q avx512bw /proc/cpuinfo; then ext="-onednn-avx512"; elif grep -q avx2 /proc/cpuinfo; then ext="-onednn-avx2"; else ext=""; fi ;;
esac
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, OMP_NUM_THREADS=$OMP_NUM_THREADS; $(date -u +%FT%TZ)"
for row in "${rows[@]}"; do
  steps="${STEPS:-$([[ $row == tiny* ]] && echo 50 || echo 5)}"
  java -Xmx4g -Dorg.bytedeco.javacpp.platform.extension="$ext" -cp "$cp" \
    org.clip4j.examples.bench.TrainBenchmark "$row" "$steps" 2>/dev/null
  /usr/bin/python3 examples/bench/train_peer.py "$row" "$steps"
done
