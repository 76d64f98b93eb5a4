#!/usr/bin/env bash
# Data-type workloads the shared harness does not have, Tessera against Debian's redis-server,
# alternating the two servers per round (medians of ROUNDS runs, ratio tessera/redis):
#   ZRANK / ZRANGE on a sorted set of 1,000,000 members, XADD, XRANGE on a 1,000,000-entry
#   stream. Not part of the test run.
#
# usage: tests/bench/datatypes.sh [ROUNDS]   (default 3; 50 clients, pipeline 1 and 16)
#   TESSERA   the server binary (default: build/release/server/tessera-server)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TESSERA=${TESSERA:-$ROOT/build/release/server/tessera-server}
ROUNDS=${1:-3}
N_MEMBERS=1000000
[ -x "$TESSERA" ] || { echo "build first: tools/dev/dev.sh build" >&2; exit 2; }
WORK=$(mktemp -d /tmp/tessera-dtbench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

start() {  # NAME PORT -> starts the server in its own session
  local name=$1 port=$2
  if [ "$name" = tessera ]; then
    setsid "$TESSERA" --bind 127.0.0.1 --port "$port" --dir "$WORK" >"$WORK/$name.log" 2>&1 &
  else
    setsid redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
      --dir "$WORK" >"$WORK/$name.log" 2>&1 &
  fi
  PIDS+=($!)
  for _ in $(seq 1 200); do redis-cli -p "$port" ping >/dev/null 2>&1 && return; sleep 0.05; done
  echo "$name did not start" >&2
  exit 1
}

load() {  # PORT: a 1M-member zset "bigz" (score i, member m:i) and a 1M-entry stream "bigs"
  local port=$1
  awk -v n="$N_MEMBERS" 'BEGIN {
    for (i = 1; i <= n; i++) {
      m = "m:" i; s = i ""; id = i "-0"
      printf "*4\r\n$4\r\nZADD\r\n$4\r\nbigz\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(s), s, length(m), m
      printf "*5\r\n$4\r\nXADD\r\n$4\r\nbigs\r\n$%d\r\n%s\r\n$1\r\nf\r\n$%d\r\n%s\r\n", length(id), id, length(s), s
    } }' | redis-cli -p "$port" --pipe >/dev/null
}

bench() {  # PORT PIPELINE N CMD... -> requests per second
  local port=$1 pipe=$2 n=$3
  shift 3
  redis-benchmark -p "$port" -c 50 -n "$n" -r "$N_MEMBERS" -P "$pipe" --csv "$@" 2>/dev/null |
    awk -F'"' 'NR == 2 { print $4 }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

start tessera 17601
start redis 17602
load 17601
load 17602

printf "| workload | pipeline | Tessera ops/s | Redis ops/s | Tessera/Redis |\n| --- | ---: | ---: | ---: | ---: |\n"
run() {  # LABEL N CMD...
  local label=$1 n=$2
  shift 2
  for pipe in 1 16; do
    local t=() r=()
    for _ in $(seq 1 "$ROUNDS"); do
      t+=("$(bench 17601 "$pipe" "$n" "$@")")
      r+=("$(bench 17602 "$pipe" "$n" "$@")")
    done
    local tm rm
    tm=$(printf "%s\n" "${t[@]}" | median)
    rm=$(printf "%s\n" "${r[@]}" | median)
    printf "| %s | %s | %.0f | %.0f | %.2f |\n" "$label" "$pipe" "$tm" "$rm" \
      "$(awk -v a="$tm" -v b="$rm" 'BEGIN { print a / b }')"
  done
}
run "ZRANK (1M members)" 300000 ZRANK bigz m:__rand_int__
run "ZRANGE BYSCORE LIMIT 0 10 (1M members)" 200000 ZRANGE bigz __rand_int__ +inf BYSCORE LIMIT 0 10
run "ZSCORE (1M members)" 300000 ZSCORE bigz m:__rand_int__
run "XADD" 300000 XADD xs '*' field value
run "XRANGE COUNT 10 (1M entries)" 200000 XRANGE bigs __rand_int__ + COUNT 10
