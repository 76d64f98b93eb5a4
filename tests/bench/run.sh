#!/usr/bin/env bash
# Side-by-side benchmark of tessera-server against Debian's redis-server, using the shared
# harness (compare.sh for throughput, memory.sh for bytes per key). Not part of the test run.
#
# usage: tests/bench/run.sh [throughput|memory|all] [compare.sh options, e.g. --quick --only SET]
#   BENCH_DIR   folder of the shared harness (default: ../shared/bench next to the repository)
#   TESSERA     the server binary (default: build/release/server/tessera-server)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
TESSERA=${TESSERA:-$ROOT/build/release/server/tessera-server}
[ -x "$BENCH_DIR/compare.sh" ] || { echo "shared harness not found in $BENCH_DIR (set BENCH_DIR)" >&2; exit 2; }
[ -x "$TESSERA" ] || { echo "build first: tools/dev/dev.sh build" >&2; exit 2; }
mode=${1:-all}
[ $# -gt 0 ] && shift
WORK=$(mktemp -d /tmp/tessera-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
RS="redis-server --bind 127.0.0.1 --save '' --appendonly no --dir $WORK"
TS="$TESSERA --bind 127.0.0.1 --save '' --dir $WORK"

throughput() {
  # A is Tessera, B is Redis: the A/B column is the tessera/redis ratio.
  "$BENCH_DIR/compare.sh" --a "$TS --port 17401" --pa 17401 --b "$RS --port 17402" --pb 17402 "$@"
}

# memory.sh on a fresh server per dataset, so RSS figures are exact.
memory_one() {  # LABEL 'CMD' PORT DATASET
  local label=$1 cmd=$2 port=$3 ds=$4 pid
  setsid bash -c "$cmd --port $port" >"$WORK/$label-$ds.log" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  echo "== $label $ds"
  "$BENCH_DIR/memory.sh" --port "$port" --only "$ds" | tail -n +2
  kill -TERM -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

memory() {
  local ds datasets=${MEMORY_DATASETS:-string}
  for ds in ${datasets//,/ }; do
    memory_one tessera "$TS" 17501 "$ds"
    memory_one redis "$RS" 17502 "$ds"
  done
}

case "$mode" in
  throughput) throughput "$@";;
  memory) memory;;
  all) throughput "$@"; memory;;
  *) sed -n '2,8p' "$0"; exit 2;;
esac
