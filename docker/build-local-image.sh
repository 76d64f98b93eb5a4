#!/usr/bin/env bash
# Builds the image tessera:local from the release binaries on this host (building them first if
# needed), with no base image: see Dockerfile.local.
#   docker/build-local-image.sh [TAG]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tag=${1:-tessera:local}
build=${TESSERA_BUILD_DIR:-$ROOT/build/release}
[ -x "$build/sentinel/tessera-sentinel" ] || "$ROOT/tools/dev/dev.sh" build release
ctx=$(mktemp -d /tmp/tessera-image.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
"$ROOT/docker/make-rootfs.sh" "$build" "$ctx/rootfs"
cp "$ROOT/docker/Dockerfile.local" "$ctx/Dockerfile"
docker build -q -t "$tag" "$ctx" >/dev/null
echo "$tag"
