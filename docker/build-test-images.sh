#!/usr/bin/env bash
# Builds the images the container tests use (the base, the worker image p-worker-test, the
# Slurm login-node image p-slurm-test) before the tests start, so that on a fresh machine
# the minutes of debootstrap and apt-get do not run beside the timed tests on the same
# cores. The tests build them again, which Docker's cache makes a no-op. Says what it did.
#
#   docker/build-test-images.sh
set -euo pipefail
cd "$(dirname "$0")"
start=$(date +%s)
./build-base-image.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The build's own messages (the legacy builder's deprecation notice among them) are shown
# only when it fails.
build() { docker build -q "$@" >/dev/null 2>"$log" || { cat "$log" >&2; exit 1; }; }
build -t p-worker-test sshd
build -t p-slurm-test -f slurm/Dockerfile .
echo "test images p-worker-test and p-slurm-test: ready in $(($(date +%s) - start)) s"
