#!/usr/bin/env bash
# Fetches the third-party sources that tests build guests from, as install-deps.sh fetches the
# toolchain: nothing of them is committed, and the tests themselves never use the network. Each
# download is checked against a pinned integrity hash; a file already fetched and intact is kept.
# Today: SQLite's amalgamation (wasm-host/src/test/resources/sqlite/source.properties).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python3 - "$root" "$root/wasm-host/src/test/resources/sqlite/source.properties" <<'PY'
import base64, hashlib, os, sys, urllib.request

root, spec_file = sys.argv[1], sys.argv[2]
spec = {}
for line in open(spec_file, encoding="utf-8"):
    line = line.strip()
    if line and not line.startswith("#"):
        key, _, value = line.partition("=")
        spec[key.strip()] = value.strip()

algorithm, _, expected = spec["integrity"].partition("-")
target = os.path.join(root, spec["cache"])

def intact(data):
    return base64.b64encode(hashlib.new(algorithm, data).digest()).decode() == expected

if os.path.exists(target) and intact(open(target, "rb").read()):
    print("test sources: %s is here" % spec["cache"])
    sys.exit(0)
with urllib.request.urlopen(spec["tarball"], timeout=120) as response:
    data = response.read()
if not intact(data):
    sys.exit("test sources: %s does not match its integrity %s" % (spec["tarball"], spec["integrity"]))
os.makedirs(os.path.dirname(target), exist_ok=True)
with open(target + ".part", "wb") as out:
    out.write(data)
os.replace(target + ".part", target)
print("test sources: fetched %s (%d bytes)" % (spec["cache"], len(data)))
PY
