#!/usr/bin/env bash
# Writes under a memory limit, Tessera against Debian's redis-server, alternating the two
# servers per round (medians of ROUNDS runs, ratio tessera/redis):
#   SET of 100-byte values over a keyspace far larger than maxmemory 50mb with allkeys-lru,
#   so every write also evicts. Not part of the test run.
#
# usage: tests/bench/eviction.sh [ROUNDS]   (default 3; 50 clients, pipeline 1 and 16)
#   TESSERA   the server binary (default: build/release/server/tessera-server)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TESSERA=${TESSERA:-$ROOT/build/release/server/tessera-server}
ROUNDS=${1:-3}
[ -x "$TESSERA" ] || { echo "build first: tools/dev/dev.sh build" >&2; exit 2; }
WORK=$(mktemp -d /tmp/tessera-evbench.XXXXXX)
KEYSPACE=100000000
# shellcheck source=tests/bench/pair.sh
. "$ROOT/tests/bench/pair.sh"

start tessera 17621
start redis 17622
for port in 17621 17622; do
  redis-cli -p "$port" config set maxmemory 50mb >/dev/null
  redis-cli -p "$port" config set maxmemory-policy allkeys-lru >/dev/null
  # Start at the limit, so the measured rounds evict all along.
  redis-benchmark -p "$port" -q -n 1000000 -r "$KEYSPACE" -d 100 -P 16 -t set >/dev/null 2>&1
done

table_header
run "SET 100 B at maxmemory 50mb, allkeys-lru" 1000000 17621 17622 -d 100 -t set
for port in 17621 17622; do
  echo "port $port: $(redis-cli -p "$port" info memory | grep -E '^used_memory:' | tr -d '\r')" \
    "$(redis-cli -p "$port" info stats | grep -E '^evicted_keys:' | tr -d '\r')"
done
