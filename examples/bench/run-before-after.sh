#!/usr/bin/env bash
# Back-to-back before/after benchmark of two clip4j builds (no PyTorch): alternates them row by row, ROUNDS times.
#   examples/bench/run-before-after.sh BEFORE_DIR AFTER_DIR [ROUNDS]
# Each DIR is a checkout built with `mvn -DskipTests install` (use a separate -Dmaven.repo.local per checkout) and
# `mvn -pl examples dependency:build-classpath -Dmdep.outputFile=target/classpath.txt`. STEPS (default 3) timed
# steps per model row (median reported by ModelBenchmark); tiny-64 is 30 training steps.
set -uo pipefail
before=$1; after=$2; rounds=${3:-2}
ext="-onednn-avx2"; grep -q avx512bw /proc/cpuinfo && ext="-onednn-avx512"
export OMP_NUM_THREADS=$(nproc)
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, avx512: $(grep -o 'avx512[a-z_]*' /proc/cpuinfo | sort -u | tr '\n' ' ')ext=$ext; $(date -u +%FT%TZ)"
cpof() { echo "$1/examples/target/classes:$(cat $1/examples/target/classpath.txt):$(ls $1/clip-cli/target/lib/nd4j-native-*-onednn-*.jar | tr '\n' ':')"; }
for r in $(seq 1 $rounds); do
  for row in tiny-64 vit-b32-image-8 rn50-image-8 text-32; do
    for which in before after; do
      dir=$([[ $which == before ]] && echo $before || echo $after)
      if [[ $row == tiny-64 ]]; then cls=TrainBenchmark; steps=30; xmx=4g; else cls=ModelBenchmark; steps=${STEPS:-3}; xmx=8g; fi
      out=$(java --add-modules jdk.incubator.vector -Xmx$xmx -Dorg.bytedeco.javacpp.platform.extension="$ext" -cp "$(cpof $dir)" org.clip4j.examples.bench.$cls $row $steps 2>/dev/null | grep '^{')
      echo "round $r $which $out"
    done
  done
done
