# Sourced by every benchmark script: the servers it started (PIDS, each leading its own
# session) are stopped and the scratch folder WORK removed when it exits; samples per round are
# collected in R and summarized by their median.
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  sleep 0.5  # let them exit before their folder goes
  rm -rf "$WORK"
}
trap cleanup EXIT

declare -A R  # R[metric,name] = space-separated samples
add() { R[$1,$2]="${R[$1,$2]:-} $3"; }  # METRIC NAME VALUE
# The median of numbers separated by spaces or newlines (blanks ignored).
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
