#!/usr/bin/env bash
# Checks docker-compose.yml: it is valid, it refuses to start without an admin token of the
# user's own (no well-known default), and it publishes the admin port on loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."

if env -u WEAVE_ADMIN_TOKEN docker-compose config -q 2>/dev/null; then
  echo "compose: starts without WEAVE_ADMIN_TOKEN, so with a token anyone can guess" >&2
  exit 1
fi
WEAVE_ADMIN_TOKEN=compose-check-token-0123456789 docker-compose config | python3 -c '
import sys, yaml
admin_port = 8081
checked, exposed = 0, []
for name, service in yaml.safe_load(sys.stdin)["services"].items():
    for port in service.get("ports", []):
        if isinstance(port, dict):
            target, host_ip = int(port["target"]), port.get("host_ip", "")
        else:
            parts = str(port).split("/")[0].split(":")
            target, host_ip = int(parts[-1]), (parts[0] if len(parts) == 3 else "")
        if target == admin_port:
            checked += 1
            if host_ip not in ("127.0.0.1", "::1"):
                exposed.append(name)
if checked == 0:
    sys.exit("compose: no published admin port found to check")
if exposed:
    sys.exit("compose: admin API published on all interfaces by " + ", ".join(exposed))
print("compose: valid; admin token required; admin API on loopback only (%d ports)" % checked)
'
