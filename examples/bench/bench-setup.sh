# Sourced by run-model-bench.sh, run-train-bench.sh, run-frontend-bench.sh, run-all-bench.sh and run-jmh.sh (from the project root): installs the PyTorch peer's Debian
# packages if missing (needs root), builds clip4j, and sets
#   cp   the class path of the examples with the oneDNN ND4J natives,
#   ext  the JavaCPP platform extension of the ND4J build to load (CLIP4J_ND4J_BUILD=plain|avx2|avx512, default:
#        the fastest this CPU supports, as bin/clip picks it),
# and prints the machine line. OMP_NUM_THREADS defaults to the core count (PyTorch needs it set). BENCH_PEER=none
# (run-jmh.sh: both sides are clip4j) skips the PyTorch packages.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"
if [[ ${BENCH_PEER:-torch} != none ]] && ! /usr/bin/python3 -c 'import torch, torchvision, PIL, regex, packaging, tqdm' 2>/dev/null; then
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
  # The same rule as bin/clip (NativeBuild): AVX-512 F/BW/DQ/VL for the AVX-512 build, AVX2 + FMA for the AVX2 one.
  auto) flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
    if [[ $flags == *" avx512f "* && $flags == *" avx512bw "* && $flags == *" avx512dq "* && $flags == *" avx512vl "* ]]; then
      ext="-onednn-avx512"
    elif [[ $flags == *" avx2 "* && $flags == *" fma "* ]]; then ext="-onednn-avx2"; else ext=""; fi ;;
  *) echo "CLIP4J_ND4J_BUILD='$CLIP4J_ND4J_BUILD': expected plain, avx2 or avx512" >&2; exit 2 ;;
esac
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, OMP_NUM_THREADS=$OMP_NUM_THREADS; $(date -u +%FT%TZ)"
