#!/usr/bin/env bash
# Persistence side by side: Tessera against Debian's redis-server, alternating per round.
#   strings: ../shared/bench/persist.sh (1,000,000 SET keys: SAVE, BGSAVE, RDB size, restart
#            load, BGREWRITEAOF)
#   mixed:   1,000,000 keys of five types (200,000 each of gen_resp.sh string/hash/set/zset/list):
#            the same figures, measured here the same way
#   aof:     redis-benchmark SET throughput with appendonly yes, appendfsync everysec / always
# Prints one table of medians with the tessera/redis ratio. Not part of the test run.
#   ROUNDS (default 2), KEYS (default 1000000), TESSERA (binary), BENCH_DIR (shared harness)
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_DIR=${BENCH_DIR:-$ROOT/../shared/bench}
TESSERA=${TESSERA:-$ROOT/build/release/server/tessera-server}
ROUNDS=${ROUNDS:-2}
KEYS=${KEYS:-1000000}
[ -x "$TESSERA" ] || { echo "build first: tools/dev/dev.sh build" >&2; exit 2; }
. "$BENCH_DIR/lib.sh"
WORK=$(mktemp -d /tmp/tessera-persist.XXXXXX)
PORT=17501
# shellcheck source=tests/bench/common.sh
. "$ROOT/tests/bench/common.sh"

cmd_of() {  # NAME DIR -> the server command line (no save points, AOF off unless asked)
  if [ "$1" = tessera ]; then
    echo "$TESSERA --bind 127.0.0.1 --port $PORT --save '' --dir $2 ${3:-}"
  else
    echo "redis-server --bind 127.0.0.1 --port $PORT --save '' --appendonly no --dir $2 ${3:-}"
  fi
}

launch() {  # NAME DIR [EXTRA] -> starts a server in its own session, waits for PONG
  mkdir -p "$2"
  setsid bash -c "exec $(cmd_of "$@")" >"$2/server.log" 2>&1 </dev/null &
  PIDS+=($!)
  for _ in $(seq 1 400); do is_up "$PORT" && return 0; sleep 0.05; done
  die "$1 did not start"
}

stop() {  # stops whatever listens on PORT (a server this script started)
  rcli "$PORT" SHUTDOWN NOSAVE >/dev/null 2>&1
  for _ in $(seq 1 400); do port_busy "$PORT" || return 0; sleep 0.05; done
  die "server on $PORT did not stop"
}

secs() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

until_zero() {  # FIELD... : poll INFO persistence until each field is 0
  local f busy
  while :; do
    busy=0
    for f in "$@"; do [ "$(info_field "$PORT" persistence "$f")" = 0 ] || busy=1; done
    [ $busy = 0 ] && return
    sleep 0.01
  done
}



strings_round() {  # NAME
  local d="$WORK/$1-strings" out
  launch "$1" "$d"
  out=$("$BENCH_DIR/persist.sh" --port "$PORT" --dir "$d" --keys "$KEYS" \
        --restart-cmd "exec $(cmd_of "$1" "$d")" --stop-at-end 2>/dev/null)
  add "strings SAVE s" "$1" "$(sed -n 's/^SAVE: \([0-9.]*\) s.*/\1/p' <<<"$out")"
  add "strings RDB bytes" "$1" "$(sed -n 's/^summary: .*rdb_bytes=\([0-9]*\).*/\1/p' <<<"$out")"
  add "strings BGSAVE s" "$1" "$(sed -n 's/^BGSAVE: \([0-9.]*\) s.*/\1/p' <<<"$out")"
  add "strings restart load s" "$1" "$(sed -n 's/^restart (RDB load.*): \([0-9.]*\) s.*/\1/p' <<<"$out")"
  add "strings BGREWRITEAOF s" "$1" "$(sed -n 's/^BGREWRITEAOF: \([0-9.]*\) s.*/\1/p' <<<"$out")"
  stop
  rm -rf "$d"
}

mixed_round() {  # NAME
  local d="$WORK/$1-mixed" t n=$((KEYS / 5)) ty
  launch "$1" "$d"
  for ty in string hash set zset list; do pipe_load "$PORT" "$ty" "$n"; done
  [ "$(rcli "$PORT" DBSIZE)" = "$((n * 5))" ] || die "mixed load incomplete"
  t=$(now_ns); rcli "$PORT" SAVE >/dev/null; add "mixed SAVE s" "$1" "$(secs "$t")"
  add "mixed RDB bytes" "$1" "$(stat -c %s "$d/dump.rdb")"
  t=$(now_ns); rcli "$PORT" BGSAVE >/dev/null; sleep 0.01; until_zero rdb_bgsave_in_progress
  add "mixed BGSAVE s" "$1" "$(secs "$t")"
  stop
  t=$(now_ns); launch "$1" "$d"
  until [ "$(info_field "$PORT" persistence loading)" = 0 ] &&
        [ "$(rcli "$PORT" DBSIZE 2>/dev/null)" = "$((n * 5))" ]; do sleep 0.01; done
  add "mixed restart load s" "$1" "$(secs "$t")"
  t=$(now_ns); rcli "$PORT" BGREWRITEAOF >/dev/null; sleep 0.01
  until_zero aof_rewrite_in_progress aof_rewrite_scheduled
  add "mixed BGREWRITEAOF s" "$1" "$(secs "$t")"
  stop
  rm -rf "$d"
}

aof_round() {  # NAME POLICY
  local d="$WORK/$1-aof-$2" rps
  launch "$1" "$d" "--appendonly yes --appendfsync $2"
  rps=$(redis-benchmark -p "$PORT" -c 50 -n "${AOF_REQUESTS:-200000}" -r 100000 -t set --csv \
        2>/dev/null | awk -F'"' 'NR == 2 { print $4 }')
  add "SET ops/s appendfsync $2" "$1" "$rps"
  stop
  rm -rf "$d"
}

for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order="tessera redis"; else order="redis tessera"; fi
  for name in $order; do
    log "round $r: $name strings"; strings_round "$name"
    log "round $r: $name mixed"; mixed_round "$name"
    for p in everysec always; do log "round $r: $name aof $p"; aof_round "$name" "$p"; done
  done
done

echo "# persist.sh $(date -u +%Y-%m-%d) keys=$KEYS rounds=$ROUNDS (medians; ratio = tessera/redis)"
echo "| measure | Tessera | Redis 7.0 | ratio |"
echo "| --- | ---: | ---: | ---: |"
for m in "strings SAVE s" "strings BGSAVE s" "strings RDB bytes" "strings restart load s" \
         "strings BGREWRITEAOF s" "mixed SAVE s" "mixed BGSAVE s" "mixed RDB bytes" \
         "mixed restart load s" "mixed BGREWRITEAOF s" "SET ops/s appendfsync everysec" \
         "SET ops/s appendfsync always"; do
  a=$(median <<<"${R[$m,tessera]:-}"); b=$(median <<<"${R[$m,redis]:-}")
  ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
  echo "| $m | $a | $b | $ratio |"
done
