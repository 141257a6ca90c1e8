#!/usr/bin/env bash
# Proves the guest toolchain that scripts/install-deps.sh installs is complete: every tool and
# library the guest builds use is present, and a C guest and a WAT guest build from scratch with
# the examples' flags into valid modules. Fails, naming what is missing, when it cannot build.
set -euo pipefail

fail() { echo "toolchain: $*" >&2; exit 1; }

for tool in clang-14 wasm-ld-14 wat2wasm make; do
  command -v "$tool" >/dev/null || fail "missing tool $tool (scripts/install-deps.sh installs it)"
done
for lib in /usr/lib/wasm32-wasi/libc.a /usr/lib/wasm32-wasi/crt1-command.o \
    "$(clang-14 --target=wasm32-wasi -print-libgcc-file-name)"; do
  [[ -f "$lib" ]] || fail "missing library $lib (scripts/install-deps.sh installs it)"
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/guest.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
  /* 128-bit and floating-point conversions come from clang's builtins library. */
  __int128 big = (__int128)strtoll("123456789", NULL, 10) * 1000000007;
  printf("Content-Type: text/plain\n\n%s %d\n", getenv("PATH_INFO") ? "yes" : "no",
         (int)(big % 1000) + (int)strtod("1.5", NULL));
  return 0;
}
C
# The same compiler and flags as every example's Makefile.
clang-14 --target=wasm32-wasi --sysroot=/usr -O2 -g0 -Wl,--strip-all -o "$work/guest.wasm" "$work/guest.c" \
  || fail "a C guest does not build"
printf '(module (func (export "_start")) (memory (export "memory") 1))\n' >"$work/guest.wat"
wat2wasm "$work/guest.wat" -o "$work/wat.wasm" || fail "a WAT guest does not build"
for module in "$work/guest.wasm" "$work/wat.wasm"; do
  [[ "$(head -c 4 "$module" | od -An -tx1 | tr -d ' \n')" == "0061736d" ]] \
    || fail "$(basename "$module") is not a WebAssembly module"
done
echo "toolchain: C and WAT guests build"
