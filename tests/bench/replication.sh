#!/usr/bin/env bash
# Replication side by side: Tessera against Debian's redis-server in the same topology (a master
# and two replicas on loopback), alternating per round. Not part of the test run.
#   SET P16   redis-benchmark -c 50 -P 16 -t set on the master while both replicas follow
#   full sync the time for a fresh replica to be in sync with a master of KEYS keys
#             (DEBUG POPULATE), diskless (repl-diskless-sync-delay 0) and disk-based
# Prints medians and the tessera/redis ratio.
#   ROUNDS (default 3), KEYS (default 1000000), REQUESTS (default 2000000), TESSERA (binary)
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TESSERA=${TESSERA:-$ROOT/build/release/server/tessera-server}
ROUNDS=${ROUNDS:-3}
KEYS=${KEYS:-1000000}
REQUESTS=${REQUESTS:-2000000}
[ -x "$TESSERA" ] || { echo "build first: tools/dev/dev.sh build" >&2; exit 2; }
WORK=$(mktemp -d /tmp/tessera-repl.XXXXXX)
# shellcheck source=tests/bench/common.sh
. "$ROOT/tests/bench/common.sh"
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
now_ns() { date +%s%N; }

bin_of() { [ "$1" = tessera ] && echo "$TESSERA" || echo redis-server; }

launch() {  # KIND PORT DIR [ARGS...]
  local kind=$1 port=$2 dir=$3
  shift 3
  mkdir -p "$dir"
  setsid "$(bin_of "$kind")" --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
    --dir "$dir" --enable-debug-command yes --repl-diskless-sync-delay 0 "$@" \
    >"$dir/server.log" 2>&1 </dev/null &
  PIDS+=($!)
  for _ in $(seq 1 400); do redis-cli -p "$port" ping >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "$kind on $port did not start" >&2
  exit 1
}

stop_all() {
  for p in 17901 17902 17903 17904; do redis-cli -p "$p" shutdown nosave >/dev/null 2>&1; done
  sleep 0.3
}

field() { redis-cli -p "$1" info replication | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2 }'; }

in_sync() {  # MASTER REPLICA
  [ "$(field "$2" master_link_status)" = up ] &&
    [ "$(field "$2" slave_repl_offset)" = "$(field "$1" master_repl_offset)" ]
}


round() {  # KIND
  local kind=$1 t rps mode
  launch "$kind" 17901 "$WORK/$kind-m"
  launch "$kind" 17902 "$WORK/$kind-r1" --replicaof 127.0.0.1 17901
  launch "$kind" 17903 "$WORK/$kind-r2" --replicaof 127.0.0.1 17901
  until in_sync 17901 17902 && in_sync 17901 17903; do sleep 0.05; done
  rps=$(redis-benchmark -p 17901 -c 50 -n "$REQUESTS" -P 16 -r 100000 -t set --csv 2>/dev/null |
        awk -F'"' 'NR == 2 { print $4 }')
  add "SET P16 ops/s, master with 2 replicas" "$kind" "$rps"
  until in_sync 17901 17902 && in_sync 17901 17903; do sleep 0.05; done
  redis-cli -p 17901 flushall >/dev/null
  redis-cli -p 17901 debug populate "$KEYS" >/dev/null
  for mode in yes no; do
    redis-cli -p 17901 config set repl-diskless-sync "$mode" >/dev/null
    rm -rf "$WORK/$kind-fresh"
    t=$(now_ns)
    launch "$kind" 17904 "$WORK/$kind-fresh" --replicaof 127.0.0.1 17901
    until in_sync 17901 17904; do sleep 0.02; done
    add "full sync s, $KEYS keys, diskless $mode" "$kind" \
      "$(awk -v a="$t" -v b="$(now_ns)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"
    redis-cli -p 17904 shutdown nosave >/dev/null 2>&1
    sleep 0.3
  done
  stop_all
  rm -rf "$WORK"/"$kind"-*
}

for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order="tessera redis"; else order="redis tessera"; fi
  for kind in $order; do log "round $r: $kind"; round "$kind"; done
done

echo "# replication.sh $(date -u +%Y-%m-%d) keys=$KEYS rounds=$ROUNDS (medians; ratio = tessera/redis)"
echo "| measure | Tessera | Redis 7.0 | ratio |"
echo "| --- | ---: | ---: | ---: |"
for m in "SET P16 ops/s, master with 2 replicas" "full sync s, $KEYS keys, diskless yes" \
         "full sync s, $KEYS keys, diskless no"; do
  a=$(median <<<"${R[$m,tessera]:-}"); b=$(median <<<"${R[$m,redis]:-}")
  ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  echo "| $m | $a | $b | $ratio |"
done
