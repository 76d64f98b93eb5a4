#!/usr/bin/env bash
# Assembles a minimal root filesystem for the local image from binaries built on this host:
# the Tessera executables, the shared libraries they load (found with ldd) and the dynamic
# loader, plus /data, /tmp and an nsswitch.conf. No base image, no registry: Dockerfile.local
# copies this folder into an image FROM scratch.
#   docker/make-rootfs.sh BUILD_DIR OUT_DIR
set -euo pipefail
build=${1:?build dir (e.g. build/release)}
out=${2:?output dir}
rm -rf "$out"
mkdir -p "$out/usr/bin" "$out/data" "$out/tmp" "$out/etc/tessera"
chmod 1777 "$out/tmp"
chmod 0777 "$out/data"
bins=("$build/server/tessera-server" "$build/sentinel/tessera-sentinel"
      "$build/tools/tessera-check-rdb" "$build/tools/tessera-check-aof")
for b in "${bins[@]}"; do
  [ -x "$b" ] || { echo "missing $b: build first (tools/dev/dev.sh build)" >&2; exit 1; }
  cp "$b" "$out/usr/bin/"
  # Every library the binary loads, at the same path, symlinks resolved.
  for lib in $(ldd "$b" | grep -o '/[^ ]*'); do
    mkdir -p "$out$(dirname "$lib")"
    cp -L "$lib" "$out$lib"
  done
done
printf 'hosts: files dns\n' >"$out/etc/nsswitch.conf"
printf 'root:x:0:0:root:/data:/usr/bin/tessera-server\n' >"$out/etc/passwd"
