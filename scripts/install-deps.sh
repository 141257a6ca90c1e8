#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: clang and lld for wasm32-wasi guests,
# wasi-libc, wabt (wat2wasm), wrk for the load scripts, docker-compose to check the
# compose file (no Docker engine is needed for that), and iproute2 and nftables for the fault
# suite's network partitions. Java 17 and Maven come with the
# machine. Safe to run again: it only installs what is missing.
#   --docker   also the Docker engine (docker.io) and debootstrap, for
#              scripts/compose-cluster-test.sh
set -euo pipefail
docker=false
case "${1:-}" in
  "") ;;
  --docker) docker=true ;;
  *) echo "usage: $0 [--docker]" >&2; exit 2 ;;
esac

need=()
command -v clang-14 >/dev/null || need+=(clang-14)
command -v wasm-ld-14 >/dev/null || need+=(lld-14)
[ -f /usr/lib/wasm32-wasi/libc.a ] || need+=(wasi-libc)
# wasm-ld links every C guest against clang's builtins for wasm32; clang-14 does not pull them in.
[ -f /usr/lib/llvm-14/lib/clang/14.0.6/lib/wasi/libclang_rt.builtins-wasm32.a ] || need+=(libclang-rt-14-dev-wasm32)
command -v wat2wasm >/dev/null || need+=(wabt)
command -v wrk >/dev/null || need+=(wrk)
command -v make >/dev/null || need+=(make)
command -v docker-compose >/dev/null || need+=(docker-compose)
# The fault suite's partitions: network namespaces, veth pairs and a bridge (iproute2), drop
# rules (nftables).
command -v ip >/dev/null || need+=(iproute2)
command -v nft >/dev/null || need+=(nftables)
if $docker; then
  command -v dockerd >/dev/null || need+=(docker.io)
  command -v debootstrap >/dev/null || need+=(debootstrap)
fi

if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}"
fi
