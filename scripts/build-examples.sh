#!/usr/bin/env bash
# Rebuilds the committed .wasm of every example under examples/.
#   scripts/build-examples.sh          rebuild in place
#   scripts/build-examples.sh --check  rebuild into a temp dir; fail if any differs from the
#                                      committed file (CI runs this: builds are reproducible)
# Needs clang-14, lld-14 and wasi-libc (C examples, through each Makefile) and wabt (WAT).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
examples="$root/examples"
check=false
case "${1:-}" in
  "") ;;
  --check) check=true ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

for tool in clang-14 wasm-ld-14 wat2wasm make; do
  command -v "$tool" >/dev/null || { echo "missing tool: $tool (apt-get install clang-14 lld-14 wasi-libc wabt make)" >&2; exit 2; }
done

out_dir="$(mktemp -d)"
trap 'rm -rf "$out_dir"' EXIT

# Prints "built committed" pairs, one per module.
build() {
  local dir="$1" name out
  name="$(basename "$dir")"
  mkdir -p "$out_dir/$name"
  if [[ -f "$dir/Makefile" ]]; then
    out="$out_dir/$name/main.wasm"
    make -s -B -C "$dir" OUT="$out" >&2 || return 1
    echo "$out $dir/main.wasm"
  fi
  local wat
  for wat in "$dir"/*.wat; do
    [[ -e "$wat" ]] || continue
    out="$out_dir/$name/$(basename "${wat%.wat}").wasm"
    wat2wasm "$wat" -o "$out" || return 1
    echo "$out ${wat%.wat}.wasm"
  done
}

status=0
compared=0
for dir in "$examples"/*/; do
  dir="${dir%/}"
  # Build first, into a list: a failing build must fail this script, which it would not do from
  # inside a process substitution.
  pairs="$out_dir/$(basename "$dir").pairs"
  if ! build "$dir" >"$pairs"; then
    echo "FAILED   ${dir#"$root"/} did not build" >&2
    exit 1
  fi
  while read -r built committed; do
    rel="${committed#"$root"/}"
    if [[ ! -s "$built" ]]; then
      echo "FAILED   $rel: the build left no module" >&2
      exit 1
    fi
    compared=$((compared + 1))
    if $check; then
      if [[ ! -f "$committed" ]]; then
        echo "MISSING  $rel (run scripts/build-examples.sh and commit it)"; status=1
      elif cmp -s "$built" "$committed"; then
        echo "ok       $rel"
      else
        echo "DIFFERS  $rel (rebuilt from source it is not the committed file)"; status=1
      fi
    else
      cp "$built" "$committed"
      echo "built    $rel ($(wc -c <"$committed") bytes)"
    fi
  done <"$pairs"
done
# Nothing built means nothing was checked.
if [[ $compared -eq 0 ]]; then
  echo "FAILED   no example module was built under ${examples#"$root"/}" >&2
  exit 1
fi
exit $status
