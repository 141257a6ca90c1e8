#!/usr/bin/env bash
# Proves the install step on a machine that has none of the guest toolchain: in a fresh Debian
# root (debootstrap, minimal variant), runs scripts/install-deps.sh, then builds a guest from
# scratch (scripts/check-toolchain.sh) and every example (scripts/build-examples.sh --check).
# A package the build needs but install-deps.sh does not install fails here, even when this
# machine happens to have it. Needs root; CI runs it from .ci/run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[[ "$(id -u)" -eq 0 ]] || { echo "fresh-machine: needs root (debootstrap, chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap
}
suite="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

fresh="$(mktemp -d)"
cleanup() {
  umount "$fresh/proc" 2>/dev/null || true
  rm -rf "$fresh"
}
trap cleanup EXIT

echo "fresh-machine: debootstrap $suite into a scratch root"
debootstrap --variant=minbase "$suite" "$fresh" "$mirror" >"$fresh.log" 2>&1 \
  || { tail -20 "$fresh.log" >&2; rm -f "$fresh.log"; exit 1; }
rm -f "$fresh.log"
mount -t proc proc "$fresh/proc"
cp /etc/resolv.conf "$fresh/etc/resolv.conf"
mkdir -p "$fresh/src"
cp -r "$root/scripts" "$root/examples" "$fresh/src/"
chroot "$fresh" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root /bin/bash -c '
  set -euo pipefail
  cd /src
  bash scripts/install-deps.sh >/tmp/install.log 2>&1 || { tail -20 /tmp/install.log; exit 1; }
  bash scripts/check-toolchain.sh
  bash scripts/build-examples.sh --check
'
echo "fresh-machine: install-deps.sh gives a fresh machine every tool the guest builds need"
