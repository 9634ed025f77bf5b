#!/usr/bin/env bash
# JMH micro-benchmarks of the fused kernels against the ND4J paths they replace (FusedKernelsBenchmark) and of
# the ResNet layers' paths: convolution algorithms and train-mode BatchNorm at RN50 shapes (ResNetLayersBenchmark).
#   examples/bench/run-jmh.sh [JMH ARGS...]     e.g.  examples/bench/run-jmh.sh -p shape=vitb32 layerNorm
# Builds clip4j, runs JMH with the ND4J build bin/clip would pick (CLIP4J_ND4J_BUILD=plain|avx2|avx512 to force
# one) and OMP_NUM_THREADS = the core count unless set; writes target/jmh-<UTC>.json next to the text table.
# Needs no Python: the fused and unfused paths are both clip4j. CI never runs this.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
BENCH_PEER=none
# shellcheck source=bench-setup.sh
source examples/bench/bench-setup.sh
avx512="$( (grep -o "avx512[a-z_0-9]*" /proc/cpuinfo || true) | sort -u | tr "\n" " ")"
echo "CPU flags: ${avx512:-AVX2 only (no AVX-512)}; ND4J build linux-x86_64${ext:- (plain)}; commit $(git rev-parse --short HEAD)"
out="target/jmh-$(date -u +%Y%m%dT%H%M%SZ).json"
mkdir -p target
java --add-modules jdk.incubator.vector -cp "$cp" org.openjdk.jmh.Main 'FusedKernelsBenchmark|ResNetLayersBenchmark' \
  -jvmArgs "-Xmx4g --add-modules jdk.incubator.vector -Dorg.bytedeco.javacpp.platform.extension=$ext" -rf json -rff "$out" "$@"
echo "results: $out"
