# Shared by the pairwise benchmark scripts (sourced): starts Tessera and Debian's redis-server
# side by side and compares them with redis-benchmark, alternating the two per round.
#   needs: TESSERA (binary), ROUNDS, WORK (scratch folder); fills PIDS
# shellcheck source=tests/bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

start() {  # NAME PORT -> starts the server in its own session
  local name=$1 port=$2
  if [ "$name" = tessera ]; then
    # shellcheck disable=SC2086  # TESSERA_ARGS: extra arguments, split on spaces
    setsid "$TESSERA" --bind 127.0.0.1 --port "$port" --save '' --dir "$WORK" ${TESSERA_ARGS:-} \
      >"$WORK/$name.log" 2>&1 &
  else
    setsid redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
      --dir "$WORK" >"$WORK/$name.log" 2>&1 &
  fi
  PIDS+=($!)
  for _ in $(seq 1 200); do redis-cli -p "$port" ping >/dev/null 2>&1 && return; sleep 0.05; done
  echo "$name did not start" >&2
  exit 1
}

bench() {  # PORT PIPELINE N CMD... -> requests per second
  local port=$1 pipe=$2 n=$3
  shift 3
  redis-benchmark -p "$port" -c 50 -n "$n" -r "${KEYSPACE:-100000}" -P "$pipe" --csv "$@" \
    2>/dev/null | awk -F'"' 'NR == 2 { print $4 }'
}


table_header() {
  printf "| workload | pipeline | Tessera ops/s | Redis ops/s | Tessera/Redis |\n"
  printf "| --- | ---: | ---: | ---: | ---: |\n"
}

run() {  # LABEL N TESSERA_PORT REDIS_PORT CMD... -> one table row per pipeline depth
  local label=$1 n=$2 tp=$3 rp=$4
  shift 4
  for pipe in ${PIPELINES:-1 16}; do
    local t=() r=()
    for _ in $(seq 1 "$ROUNDS"); do
      t+=("$(bench "$tp" "$pipe" "$n" "$@")")
      r+=("$(bench "$rp" "$pipe" "$n" "$@")")
    done
    local tm rm
    tm=$(printf "%s\n" "${t[@]}" | median)
    rm=$(printf "%s\n" "${r[@]}" | median)
    printf "| %s | %s | %.0f | %.0f | %.2f |\n" "$label" "$pipe" "$tm" "$rm" \
      "$(awk -v a="$tm" -v b="$rm" 'BEGIN { print a / b }')"
  done
}
