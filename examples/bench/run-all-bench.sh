#!/usr/bin/env bash
# The whole benchmark in one run: the machine's matrix-multiply limit (a float32 2048³ sgemm through every ND4J
# build this CPU runs and through PyTorch; the best rate is the limit), then every model row (run-model-bench.sh's)
# and training row (run-train-bench.sh's), clip4j then PyTorch back to back per row, and a Markdown table of each
# row's counted FLOP, seconds, ratio to PyTorch and fraction of the limit (examples/bench/summarise_bench.py).
#   examples/bench/run-all-bench.sh /path/to/openai-CLIP-checkout [OUT.md]
# Writes the table to OUT.md (default target/bench-all-<UTC time>.md), the JSON lines it is made from to OUT.jsonl
# (summarise again with `python3 examples/bench/summarise_bench.py OUT.jsonl`), the benchmarks' stderr to
# OUT.stderr.log, and prints the table. Knobs:
#   STEPS             timed steps per row, median reported (default: 5 per model row, 50 for tiny-64, 5 for vit-b32-32)
#   ROWS              a subset of the rows, space-separated (default all: vit-b32-image-8 vit-b32-image-32
#                     rn50-image-8 text-32 vit-b32-train-32 tiny-64 vit-b32-32); ROWS=none measures only the limit
#   CLIP4J_ND4J_BUILD plain|avx2|avx512: the ND4J build of the model and training rows (default: bin/clip's choice
#                     for this CPU); the sgemm rows always run every build the CPU supports
#   SGEMM_N, REPS     size of the sgemm (default 2048) and timed products per sgemm row (default 7)
#   WARMUP_S          seconds of warm-up before each timed phase, both sides (default 60): the JVM compiles its
#                     hot paths during the first minute of steps (see ModelBenchmark.WARMUP_S)
# Installs Debian's python3-torch and libopenblas0-pthread if missing (needs root); CI never runs this. The whole
# run takes about 40 minutes on 2 cores (a minute of warm-up per timed phase): run it on an otherwise idle machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export CLIP_REPO="${1:?usage: run-all-bench.sh CLIP_REPO [OUT.md]}"
out="${2:-target/bench-all-$(date -u +%Y%m%dT%H%M%SZ).md}"
[[ $out == *.md ]] || { echo "run-all-bench.sh: OUT must end in .md, got '$out'" >&2; exit 2; }
log="${out%.md}.jsonl"
err="${out%.md}.stderr.log"
all_rows=(vit-b32-image-8 vit-b32-image-32 rn50-image-8 text-32 vit-b32-train-32 tiny-64 vit-b32-32)
read -r -a rows <<< "${ROWS:-${all_rows[*]}}"
[[ ${ROWS:-} == none ]] && rows=()
for row in "${rows[@]}"; do
  [[ " ${all_rows[*]} " == *" $row "* ]] || { echo "ROWS: unknown row '$row'; rows: ${all_rows[*]}" >&2; exit 2; }
done
n="${SGEMM_N:-2048}"
reps="${REPS:-7}"
for knob in "SGEMM_N=$n" "REPS=$reps" "STEPS=${STEPS:-1}"; do
  [[ ${knob#*=} =~ ^[1-9][0-9]*$ ]] || { echo "$knob: expected a positive integer" >&2; exit 2; }
done
# shellcheck source=bench-setup.sh
source examples/bench/bench-setup.sh
mkdir -p "$(dirname "$out")"
: > "$log"
: > "$err"

# record LABEL COMMAND...: the command's JSON lines go to the screen and the log, its stderr to $err; a failed
# row is reported and left out of the table, the run goes on.
record() {
  local label=$1 lines rc=0
  shift
  echo "== $label" >> "$err"
  lines=$("$@" 2>> "$err") || rc=$?
  ((rc == 0)) || echo "run-all-bench.sh: $label failed (exit $rc), see $err" >&2
  lines=$(grep '^{' <<< "$lines" || true)
  if [[ -n $lines ]]; then
    echo "$lines"
    echo "$lines" >> "$log"
  fi
}

# The machine line: CPU, cores, its AVX-512 flags, threads, time, code.
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
avx512=$(tr ' ' '\n' <<< "$flags" | grep '^avx512' | sort | tr '\n' ' ' | xargs || true)
builds=("")  # the plain (OpenBLAS) build runs everywhere
if [[ $flags == *" avx2 "* && $flags == *" fma "* ]]; then builds+=("-onednn-avx2"); fi
if [[ $flags == *" avx512f "* && $flags == *" avx512bw "* && $flags == *" avx512dq "* && $flags == *" avx512vl "* ]]; then
  builds+=("-onednn-avx512")
fi
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
[[ -z $(git status --porcelain --untracked-files=no 2>/dev/null) ]] || commit="$commit + uncommitted changes"
machine="Machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, \
$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), ${avx512:-AVX2 only (no AVX-512)}; \
OMP_NUM_THREADS=$OMP_NUM_THREADS; model rows on ND4J build $([[ -n $ext ]] && echo "${ext#-}" || echo plain); $(date -u +%FT%TZ); commit $commit; \
torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')."
echo "$machine"
/usr/bin/python3 -c 'import json, sys; print(json.dumps({"impl": "machine", "text": sys.argv[1]}))' "$machine" >> "$log"

# The limit: one JVM per ND4J build, then PyTorch.
for b in "${builds[@]}"; do
  record "sgemm ${b:-plain}" java --add-modules jdk.incubator.vector -Xmx1g -Dorg.bytedeco.javacpp.platform.extension="$b" -cp "$cp" \
    org.clip4j.examples.bench.SgemmBenchmark "$n" "$reps"
done
record "sgemm torch" /usr/bin/python3 examples/bench/sgemm_peer.py "$n" "$reps"

# Every row, clip4j then PyTorch back to back.
for row in "${rows[@]}"; do
  case $row in
    tiny-64 | vit-b32-32)
      steps="${STEPS:-$([[ $row == tiny* ]] && echo 50 || echo 5)}"
      record "$row clip4j" java --add-modules jdk.incubator.vector -Xmx4g -Dorg.bytedeco.javacpp.platform.extension="$ext" -cp "$cp" \
        org.clip4j.examples.bench.TrainBenchmark "$row" "$steps"
      record "$row pytorch" /usr/bin/python3 examples/bench/train_peer.py "$row" "$steps" ;;
    *)
      record "$row clip4j" java --add-modules jdk.incubator.vector -Xmx8g -Dorg.bytedeco.javacpp.platform.extension="$ext" -cp "$cp" \
        org.clip4j.examples.bench.ModelBenchmark "$row" "${STEPS:-5}"
      record "$row pytorch" /usr/bin/python3 examples/bench/model_peer.py "$row" "${STEPS:-5}" ;;
  esac
done

echo
/usr/bin/python3 examples/bench/summarise_bench.py "$log" "$out"
echo "(table: $out; JSON lines: $log; stderr: $err)"
