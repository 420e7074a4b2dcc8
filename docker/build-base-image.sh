#!/usr/bin/env bash
# Makes sure the worker image's base, debian:bookworm-slim, exists in the local Docker
# engine: kept when present, pulled when a registry answers, and otherwise built here from
# the Debian archive (debootstrap --variant=minbase bookworm, then docker import), which is
# all a machine that reaches only the package archives can do. Says which it did.
#
#   docker/build-base-image.sh [IMAGE]      (default debian:bookworm-slim; needs root to debootstrap)
set -euo pipefail
image=${1:-debian:bookworm-slim}
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "base image $image: already here"
  exit 0
fi
if timeout 90 docker pull -q "$image" >/dev/null 2>&1; then
  echo "base image $image: pulled from the registry"
  exit 0
fi
command -v debootstrap >/dev/null || {
  echo "build-base-image.sh: no registry answered and debootstrap is missing; install it (apt-get install debootstrap)" >&2
  exit 1
}
# The machine's own Debian mirror, so the image reaches what this machine reaches.
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
start=$(date +%s)
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
  echo "build-base-image.sh: debootstrap failed; its log:" >&2
  tail -n 20 "$root.log" >&2
  exit 1
}
rm -f "$root.log"
# As the official slim image: no package lists or caches.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
tar -C "$root" -c . | docker import --change 'CMD ["bash"]' - "$image" >/dev/null
echo "base image $image: no registry answered, so it was built here from the Debian archive ($mirror) with debootstrap in $(($(date +%s) - start)) s"
