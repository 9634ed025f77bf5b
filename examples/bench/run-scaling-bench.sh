#!/usr/bin/env bash
# Data-parallel scaling on one machine: the same clip train run (clip4j-tiny on the embedded synthetic data,
# global batch 64) as one process with all cores, and as RANKS processes under mpirun sharing them (each rank
# gets cores/RANKS threads). Prints the median samples/s of the steps after the first 5 for each.
#   examples/bench/run-scaling-bench.sh [STEPS]          (default 40; RANKS=2)
# Needs openmpi-bin (apt-get install openmpi-bin libopenmpi-dev) and a built checkout (mvn -q -B -DskipTests
# install); CI never runs this. On one 2-core machine this measures the cost of the collectives, not a speed-up:
# both configurations have the same cores.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
steps="${1:-40}"
ranks="${RANKS:-2}"
cores="$(nproc)"
out="$(mktemp -d)"
args=(train --model clip4j-tiny --data synthetic --no-augment --batch-size 64 --lr 2e-3 --warmup 10 --steps "$steps"
      --seed 0 --checkpoint-every 100000)
median() { /usr/bin/python3 -c "
import json,statistics,sys
v=[json.loads(l)['samples_per_s'] for l in open(sys.argv[1]) if '\"loss\"' in l][5:]
print(f'{statistics.median(v):.1f}')" "$1"; }
flags="$(grep -o 'avx512[a-z_]*' /proc/cpuinfo | sort -u | tr '\n' ' ' || true)"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $cores cores, AVX-512: ${flags:-none}; $(date -u +%FT%TZ)"
OMP_NUM_THREADS="$cores" bin/clip "${args[@]}" --checkpoint-dir "$out/one" >/dev/null 2>&1
echo "1 process, $cores threads: $(median "$out/one/metrics.jsonl") samples/s"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
OMP_NUM_THREADS="$(( cores / ranks > 0 ? cores / ranks : 1 ))" mpirun -np "$ranks" --oversubscribe --bind-to none \
  --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo \
  bin/clip "${args[@]}" --checkpoint-dir "$out/ranks" >/dev/null 2>&1
echo "$ranks ranks, $(( cores / ranks > 0 ? cores / ranks : 1 )) thread(s) each: $(median "$out/ranks/metrics.jsonl") samples/s"
