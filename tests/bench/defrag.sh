#!/usr/bin/env bash
# Active defragmentation on Tessera (Debian's redis-server cannot defragment: its jemalloc lacks
# Redis's patch, so there is no pair to compare with). Creates 2,000,000 keys (20-byte values),
# deletes every other one, then turns activedefrag on with the default thresholds and CPU
# shares and reports: fragmentation before/after, time to get under the lower threshold, and
# GET throughput (pipeline 16) while the defrag runs against after it finished.
#
# usage: tests/bench/defrag.sh
#   TESSERA   the server binary (default: build/release/server/tessera-server)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TESSERA=${TESSERA:-$ROOT/build/release/server/tessera-server}
[ -x "$TESSERA" ] || { echo "build first: tools/dev/dev.sh build" >&2; exit 2; }
WORK=$(mktemp -d /tmp/tessera-defragbench.XXXXXX)
ROUNDS=1
# shellcheck source=tests/bench/pair.sh
. "$ROOT/tests/bench/pair.sh"
PORT=17631
TESSERA_ARGS="--enable-debug-command yes" start tessera "$PORT"
cli() { redis-cli -p "$PORT" "$@"; }
field() { cli info "$1" | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2 }'; }
ratio() { awk -v a="$(field memory allocator_active)" -v b="$(field memory allocator_allocated)" \
  'BEGIN { printf "%.3f", a / b }'; }

cli debug populate 2000000 key 20 >/dev/null
for start in $(seq 0 200000 1800000); do
  cli eval "for i = tonumber(ARGV[1]), tonumber(ARGV[2]) - 1, 2 do redis.call('DEL', 'key:' .. i) end" \
    0 "$start" $((start + 200000)) >/dev/null
done
echo "keys: $(cli dbsize), used_memory: $(field memory used_memory), frag (active/allocated): $(ratio)"
cli config set active-defrag-ignore-bytes 1mb >/dev/null
t0=$(date +%s.%N)
cli config set activedefrag yes >/dev/null
sleep 1.2  # the first check runs within a second
during=$(KEYSPACE=2000000 bench "$PORT" 16 1000000 -t get)
deadline=$((SECONDS + 120))
while awk -v r="$(ratio)" 'BEGIN { exit !(r >= 1.10) }'; do
  [ "$SECONDS" -lt "$deadline" ] || { echo "fragmentation still $(ratio) after 120 s" >&2; exit 1; }
  sleep 0.1
done
t1=$(date +%s.%N)
while [ "$(field memory active_defrag_running)" != 0 ] && [ "$SECONDS" -lt "$deadline" ]; do
  sleep 0.1
done
after=$(KEYSPACE=2000000 bench "$PORT" 16 1000000 -t get)
echo "frag after: $(ratio); under 10% after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s;" \
  "active_defrag_hits: $(field stats active_defrag_hits), total_active_defrag_time: $(field stats total_active_defrag_time) ms"
echo "GET P16 during defrag: $during ops/s; after: $after ops/s;" \
  "ratio $(awk -v a="$during" -v b="$after" 'BEGIN { printf "%.2f", a / b }')"
