#!/usr/bin/env bash
# Scripting and pub/sub, Tessera against Debian's redis-server, alternating the two servers per
# round (medians of ROUNDS runs, ratio tessera/redis):
#   EVALSHA of a small script (reads ARGV, INCRs a key), PUBLISH to a channel with 10
#   subscribers (each a redis-cli reading everything). Not part of the test run.
#
# usage: tests/bench/messaging.sh [ROUNDS]   (default 3; 50 clients, pipeline 1 and 16)
#   TESSERA   the server binary (default: build/release/server/tessera-server)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TESSERA=${TESSERA:-$ROOT/build/release/server/tessera-server}
ROUNDS=${1:-3}
[ -x "$TESSERA" ] || { echo "build first: tools/dev/dev.sh build" >&2; exit 2; }
WORK=$(mktemp -d /tmp/tessera-msgbench.XXXXXX)
# shellcheck source=tests/bench/pair.sh
. "$ROOT/tests/bench/pair.sh"

start tessera 17611
start redis 17612

SCRIPT="redis.call('incr', KEYS[1]) return ARGV[1]"
SHA=$(redis-cli -p 17611 script load "$SCRIPT")
[ "$(redis-cli -p 17612 script load "$SCRIPT")" = "$SHA" ] || { echo "sha mismatch" >&2; exit 1; }

# Ten subscribers per server, each reading every message (their output is discarded).
for port in 17611 17612; do
  for _ in $(seq 1 10); do
    setsid redis-cli -p "$port" subscribe news >/dev/null 2>&1 &
    PIDS+=($!)
  done
done
for port in 17611 17612; do
  for _ in $(seq 1 100); do
    [ "$(redis-cli -p "$port" pubsub numsub news | tail -1)" = 10 ] && break
    sleep 0.05
  done
done

table_header
run "EVALSHA (INCR + return ARGV)" 300000 17611 17612 EVALSHA "$SHA" 1 counter hello
run "PUBLISH to 10 subscribers" 200000 17611 17612 PUBLISH news hello-subscribers
