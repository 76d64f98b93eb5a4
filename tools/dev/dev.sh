#!/usr/bin/env bash
# Tessera's one entry point for people and CI.
#   tools/dev/dev.sh serve   install what is missing, build, run tessera-server on 127.0.0.1:6379
#   tools/dev/dev.sh test    install what is missing, build, run every test (release build, then
#                            an ASan+UBSan build); ends with one line "N passed, M failed"
#   tools/dev/dev.sh setup | build [release|sanitize] | unit | integration [pytest args] | docker
#   tools/dev/dev.sh bench   compare against Debian's redis-server (tests/bench/run.sh)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
PY=/usr/bin/python3
JOBS=${JOBS:-2}
# One ccache for every clone of the repository (CI builds a fresh clone elsewhere).
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$ROOT} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}

# What building needs, and what the tests add (Debian's Redis is the reference peer; installing
# it for `serve` could start a service on 6379 and collide with the server we run).
BUILD_PACKAGES=(cmake ninja-build ccache g++ pkg-config libboost1.81-dev libprotobuf-dev
  protobuf-compiler libspdlog-dev libfmt-dev libcli11-dev libgtest-dev libgmock-dev
  libbenchmark-dev libjemalloc-dev libssl-dev liblua5.1-0-dev liblzf-dev lua-cjson-dev
  lua-bitop-dev)
TEST_PACKAGES=(python3-pytest python3-redis redis-server redis-tools iproute2 procps lsof strace)

setup() {
  local missing=() wanted=("${BUILD_PACKAGES[@]}")
  [ "${1:-}" = test ] && wanted+=("${TEST_PACKAGES[@]}")
  # The docker tests need Compose wherever a Docker engine is installed.
  if [ "${1:-}" = test ] && command -v docker >/dev/null && ! command -v docker-compose >/dev/null &&
     ! docker compose version >/dev/null 2>&1; then
    wanted+=(docker-compose)
  fi
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

build() {
  local kind=${1:-release} dir type extra=()
  case "$kind" in
    release) dir=build/release; type=RelWithDebInfo;;
    sanitize) dir=build/sanitize; type=Debug; extra=(-DTESSERA_SANITIZE=ON);;
    *) echo "unknown build kind $kind" >&2; exit 2;;
  esac
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "${extra[@]}" >/dev/null
  ninja -C "$dir" -j"$JOBS"
}

# Runs the GoogleTest binaries of a build; writes JUnit XML into $2.
unit() {
  local dir=${1:-build/release} out=${2:-build/results/unit}
  mkdir -p "$out"
  local rc=0
  for t in "$dir"/tests/unit/*_test; do
    [ -x "$t" ] || continue
    "$t" --gtest_output="xml:$out/$(basename "$t").xml" --gtest_brief=1 || rc=1
  done
  return $rc
}

# Runs each fuzz target over its seed corpus plus random mutations; one JUnit case each.
fuzz() {
  local dir=$1 out=$2 iterations=${3:-100000} t name rc
  mkdir -p "$out"
  for t in "$dir"/tests/fuzz/*_fuzz; do
    [ -x "$t" ] || continue
    name=$(basename "$t" _fuzz)
    if "$t" "tests/fuzz/corpus/$name" "$iterations" >"$out/$name.log" 2>&1; then
      printf '<testsuite name="fuzz"><testcase classname="fuzz" name="%s"/></testsuite>\n' \
        "$name" >"$out/fuzz-$name.xml"
    else
      rc=$?
      printf '<testsuite name="fuzz"><testcase classname="fuzz" name="%s"><failure message="exit %s"/></testcase></testsuite>\n' \
        "$name" "$rc" >"$out/fuzz-$name.xml"
      tail -20 "$out/$name.log"
    fi
  done
}

integration() {
  local bindir=$1 out=$2; shift 2
  mkdir -p "$out"
  TESSERA_BIN_DIR="$ROOT/$bindir" "$PY" -m pytest -q -p no:cacheprovider \
    --junitxml="$out/integration.xml" tests/integration "$@"
}

# The docker-compose HA topology under faults (tests/docker), when a Docker engine is present.
docker_tests() {
  local bindir=$1 out=$2
  mkdir -p "$out"
  if ! command -v docker >/dev/null || ! docker info >/dev/null 2>&1; then
    echo "SKIPPED: docker tests (tests/docker): no Docker engine on this machine"
  fi
  TESSERA_BIN_DIR="$ROOT/$bindir" TESSERA_RESULTS_DIR="$ROOT/$out" "$PY" -m pytest -q -s \
    -p no:cacheprovider -rs --junitxml="$out/docker.xml" tests/docker
}

summary() {
  "$PY" tools/dev/summarize.py "$@"
}

case "${1:-}" in
  setup) setup test;;
  build) setup; build "${2:-release}";;
  serve)
    setup; build release
    exec build/release/server/tessera-server;;
  unit) unit "${2:-build/release}";;
  fuzz) fuzz "${2:-build/sanitize}" build/results/fuzz "${3:-100000}";;
  integration) shift; integration build/release build/results/release "$@";;
  docker) setup test; build release; docker_tests build/release build/results/release;;
  test)
    setup test
    rm -rf build/results
    start=$(date +%s)
    build release
    unit build/release build/results/release || true
    integration build/release build/results/release || true
    docker_tests build/release build/results/release || true
    build sanitize
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
      unit build/sanitize build/results/sanitize || true
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      fuzz build/sanitize build/results/sanitize/fuzz 100000
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
      integration build/sanitize build/results/sanitize || true
    echo "total time: $(( $(date +%s) - start )) s"
    summary build/results;;
  bench) shift; setup test; build release; exec tests/bench/run.sh "$@";;
  *) sed -n '2,8p' "$0"; exit 2;;
esac
