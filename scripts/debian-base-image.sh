#!/usr/bin/env bash
# Builds a Java 17 base image for the node's Dockerfile from Debian packages, for machines that
# cannot pull from a public container registry:
#   scripts/debian-base-image.sh [TAG]      (default edgeweave-base:<suite>-jre17)
# debootstrap (minimal variant) fetches Debian and openjdk-17-jre-headless from the Debian
# mirror this machine's apt uses (DEBIAN_MIRROR overrides it), and `docker import` turns the
# root into an image. An image already tagged TAG is kept, so only the first run pays (about
# 80 s). Prints the tag. Needs root (debootstrap) and a running Docker engine.
set -euo pipefail
suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
tag="${1:-edgeweave-base:$suite-jre17}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag"
  exit 0
fi
[[ "$(id -u)" -eq 0 ]] || { echo "base image: needs root (debootstrap)" >&2; exit 2; }
command -v debootstrap >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
}

root="$(mktemp -d)"
log="$(mktemp)"
trap 'rm -rf "$root" "$log"' EXIT
echo "base image: debootstrap $suite with openjdk-17-jre-headless from $mirror" >&2
debootstrap --variant=minbase --include=openjdk-17-jre-headless "$suite" "$root" "$mirror" \
  >"$log" 2>&1 || { tail -20 "$log" >&2; exit 1; }
# What an image needs no copy of: downloaded packages, package lists, the host's resolver.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/etc/resolv.conf
[[ -x "$root/usr/bin/java" ]] || { echo "base image: no java in the root" >&2; exit 1; }
tar -C "$root" --numeric-owner -c . \
  | docker import --change 'ENV LANG=C.UTF-8' \
      --message "Debian $suite minbase with openjdk-17-jre-headless" - "$tag" >/dev/null
echo "$tag"
