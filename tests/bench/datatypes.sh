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
KEYSPACE=$N_MEMBERS
# shellcheck source=tests/bench/pair.sh
. "$ROOT/tests/bench/pair.sh"

load() {  # PORT: a 1M-member zset "bigz" (score i, member m:i) and a 1M-entry stream "bigs"
  local port=$1
  awk -v n="$N_MEMBERS" 'BEGIN {
    for (i = 1; i <= n; i++) {
      m = "m:" i; s = i ""; id = i "-0"
      printf "*4\r\n$4\r\nZADD\r\n$4\r\nbigz\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(s), s, length(m), m
      printf "*5\r\n$4\r\nXADD\r\n$4\r\nbigs\r\n$%d\r\n%s\r\n$1\r\nf\r\n$%d\r\n%s\r\n", length(id), id, length(s), s
    } }' | redis-cli -p "$port" --pipe >/dev/null
}

start tessera 17601
start redis 17602
load 17601
load 17602

table_header
run "ZRANK (1M members)" 300000 17601 17602 ZRANK bigz m:__rand_int__
run "ZRANGE BYSCORE LIMIT 0 10 (1M members)" 200000 17601 17602 ZRANGE bigz __rand_int__ +inf BYSCORE LIMIT 0 10
run "ZSCORE (1M members)" 300000 17601 17602 ZSCORE bigz m:__rand_int__
run "XADD" 300000 17601 17602 XADD xs '*' field value
run "XRANGE COUNT 10 (1M entries)" 200000 17601 17602 XRANGE bigs __rand_int__ + COUNT 10
