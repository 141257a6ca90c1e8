#!/usr/bin/env bash
# ./weave must rebuild the node when anything that goes into the jar changed (a .java file, a
# reference.conf, a .proto, a pom.xml) and only then. Runs the real script in a scratch copy of
# the layout, with mvn and java replaced by recorders.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/repo/mesh-node/target" "$work/bin" \
  "$work/repo/sharding/src/main/resources" "$work/repo/sharding/src/main/proto" \
  "$work/repo/sharding/src/main/java/x" "$work/repo/sharding/target/classes" "$work/repo/.git"
cp "$root/weave" "$work/repo/weave"
for f in pom.xml sharding/pom.xml sharding/src/main/resources/reference.conf \
    sharding/src/main/proto/invocation.proto sharding/src/main/java/x/A.java \
    sharding/target/classes/reference.conf .git/index; do
  echo "$f" >"$work/repo/$f"
done
cat >"$work/bin/mvn" <<'SH'
#!/bin/sh
echo build >>"$WEAVE_TEST_LOG"
SH
cat >"$work/bin/java" <<'SH'
#!/bin/sh
echo run >>"$WEAVE_TEST_LOG"
SH
chmod +x "$work/bin/mvn" "$work/bin/java"
export WEAVE_TEST_LOG="$work/log" PATH="$work/bin:$PATH"

builds() { : >"$WEAVE_TEST_LOG"; "$work/repo/weave" help 2>/dev/null; grep -c build "$WEAVE_TEST_LOG" || true; }
expect() {
  local what="$1" want="$2" got
  got="$(builds)"
  [[ "$got" == "$want" ]] || { echo "weave-rebuild: $what: expected $want build(s), got $got" >&2; exit 1; }
}
older() { touch -d '-1 hour' "$@"; }

expect "no jar yet" 1
older $(find "$work/repo" -type f ! -name weave.jar)
expect "nothing changed" 0
for changed in sharding/src/main/java/x/A.java sharding/src/main/resources/reference.conf \
    sharding/src/main/proto/invocation.proto sharding/pom.xml pom.xml; do
  touch "$work/repo/$changed"
  expect "$changed changed" 1
  expect "after rebuilding for $changed" 0
done
for ignored in sharding/target/classes/reference.conf .git/index; do
  touch "$work/repo/$ignored"
  expect "$ignored changed" 0
done
echo "weave-rebuild: rebuilds on every input of the jar, and only then"
