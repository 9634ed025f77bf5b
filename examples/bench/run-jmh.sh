#!/usr/bin/env bash
# JMH micro-benchmarks of the fused kernels against the ND4J paths they replace (FusedKernelsBenchmark).
#   examples/bench/run-jmh.sh [JMH ARGS...]     e.g.  examples/bench/run-jmh.sh -p shape=vitb32 layerNorm
# Builds clip4j, runs JMH with the ND4J build bin/clip would pick (CLIP4J_ND4J_BUILD=plain|avx2|avx512 to force
# one) and OMP_NUM_THREADS = the core count unless set; writes target/jmh-<UTC>.json next to the text table.
# Needs no Python: the fused and unfused paths are both clip4j. CI never runs this.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"
mvn -q -B -DskipTests install
mvn -q -B -pl examples dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
cp="examples/target/classes:$(cat examples/target/classpath.txt):$(ls clip-cli/target/lib/nd4j-native-*-onednn-*.jar | tr '\n' ':')"
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
case "${CLIP4J_ND4J_BUILD:-auto}" in
  plain) ext="" ;;
  avx2) ext="-onednn-avx2" ;;
  avx512) ext="-onednn-avx512" ;;
  auto) if [[ $flags == *" avx512f "* && $flags == *" avx512bw "* && $flags == *" avx512dq "* && $flags == *" avx512vl "* ]]; then
          ext="-onednn-avx512"
        elif [[ $flags == *" avx2 "* && $flags == *" fma "* ]]; then ext="-onednn-avx2"; else ext=""; fi ;;
  *) echo "run-jmh.sh: CLIP4J_ND4J_BUILD='$CLIP4J_ND4J_BUILD': expected plain, avx2 or avx512" >&2; exit 2 ;;
esac
avx512="$( (grep -o "avx512[a-z_0-9]*" /proc/cpuinfo || true) | sort -u | tr "\n" " ")"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, ${avx512:-AVX2 only (no AVX-512)}; ND4J build linux-x86_64${ext:- (plain)}; OMP_NUM_THREADS=$OMP_NUM_THREADS; $(date -u +%FT%TZ); commit $(git rev-parse --short HEAD)"
out="target/jmh-$(date -u +%Y%m%dT%H%M%SZ).json"
mkdir -p target
java -cp "$cp" org.openjdk.jmh.Main FusedKernelsBenchmark \
  -jvmArgs "-Xmx4g -Dorg.bytedeco.javacpp.platform.extension=$ext" -rf json -rff "$out" "$@"
echo "results: $out"
