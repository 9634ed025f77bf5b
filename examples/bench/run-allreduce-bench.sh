#!/usr/bin/env bash
# All-reduce bandwidth: clip4j's MpiCollectives (Open MPI through JNA, on ND4J buffers) vs the same loop in C,
# 2 ranks on this machine over loopback TCP (RANKS, REPS and the sizes in MB can be changed):
#   examples/bench/run-allreduce-bench.sh [MB...]        (default 1 4 16 64 256 400)
# Needs openmpi-bin and libopenmpi-dev (apt-get install openmpi-bin libopenmpi-dev); CI never runs this.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
sizes=("$@")
((${#sizes[@]})) || sizes=(1 4 16 64 256 400)
ranks="${RANKS:-2}"
reps="${REPS:-5}"
mvn -q -B -DskipTests install
mvn -q -B -pl examples dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
cp="examples/target/classes:$(cat examples/target/classpath.txt)"
mkdir -p examples/target
mpicc -O2 -o examples/target/allreduce_peer examples/bench/allreduce_peer.c
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
mpi=(mpirun -np "$ranks" --oversubscribe --bind-to none --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo)
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(OMP_NUM_THREADS= nproc --all) cores; $(date -u +%FT%TZ)"
"${mpi[@]}" java --add-modules jdk.incubator.vector -Xmx4g -cp "$cp" org.clip4j.examples.bench.AllReduceBenchmark "$reps" "${sizes[@]}" 2>/dev/null
"${mpi[@]}" examples/target/allreduce_peer "$reps" "${sizes[@]}"
