#!/usr/bin/env bash
# Checks docker-compose.yml without a Docker engine: it is valid; it refuses to start without an
# admin token and a cluster secret of the user's own (no well-known default); every node starts
# with no apps (a deploy spreads through the cluster), joins through WEAVE_SEED_NODES naming
# nodes of this file, and is reached at its own public and admin ports on the host's loopback
# address only; cluster traffic (Artery, blob transfer) is published nowhere.
set -euo pipefail
cd "$(dirname "$0")/.."

token=compose-check-token-0123456789
secret=compose-check-secret-0123456789
# Each of the two missing (the other set) must stop docker-compose before it starts anything.
for required in WEAVE_ADMIN_TOKEN WEAVE_CLUSTER_SECRET; do
  if env -u WEAVE_ADMIN_TOKEN -u WEAVE_CLUSTER_SECRET WEAVE_ADMIN_TOKEN="$token" \
      WEAVE_CLUSTER_SECRET="$secret" "$required=" docker-compose config -q 2>/dev/null; then
    echo "compose: starts without $required, so with a secret anyone can guess" >&2
    exit 1
  fi
done
WEAVE_ADMIN_TOKEN="$token" WEAVE_CLUSTER_SECRET="$secret" docker-compose config \
  | python3 -c '
import sys, yaml
PUBLIC, ADMIN, ARTERY = 8080, 8081, 25520
services = yaml.safe_load(sys.stdin)["services"]
problems, host_ports, nodes = [], {}, 0

def ports(service):
    for port in service.get("ports", []):
        if isinstance(port, dict):
            yield int(port["target"]), str(port.get("published", "")), port.get("host_ip", "")
        else:
            parts = str(port).split("/")[0].split(":")
            host_ip = parts[0] if len(parts) == 3 else ""
            yield int(parts[-1]), (parts[-2] if len(parts) > 1 else ""), host_ip

for name, service in services.items():
    nodes += 1
    env = service.get("environment", {})
    if service.get("command") != ["up"]:
        problems.append("%s: command %s; a node starts with no apps: [\"up\"]" % (name, service.get("command")))
    if env.get("WEAVE_REMOTE_HOST") != name:
        problems.append("%s: WEAVE_REMOTE_HOST is %r, not its name on the network" % (name, env.get("WEAVE_REMOTE_HOST")))
    seeds = [s.strip() for s in str(env.get("WEAVE_SEED_NODES", "")).split(",") if s.strip()]
    if not seeds:
        problems.append("%s: no WEAVE_SEED_NODES" % name)
    for seed in seeds:
        host = seed.split("@")[-1].rsplit(":", 1)
        if not seed.startswith("pekko://edgeweave@") or host[0] not in services or host[1] != str(ARTERY):
            problems.append("%s: seed %s is not a node of this file at its Artery port" % (name, seed))
    published = {}
    for target, host_port, host_ip in ports(service):
        published[target] = host_port
        if host_ip not in ("127.0.0.1", "::1"):
            problems.append("%s: port %d published on all interfaces" % (name, target))
        if target not in (PUBLIC, ADMIN):
            problems.append("%s: port %d published; cluster traffic stays on the compose network" % (name, target))
        if not host_port:
            problems.append("%s: port %d on a random host port" % (name, target))
        elif host_port in host_ports:
            problems.append("%s: host port %s taken by %s too" % (name, host_port, host_ports[host_port]))
        else:
            host_ports[host_port] = name
    for target in (PUBLIC, ADMIN):
        if target not in published:
            problems.append("%s: port %d not published, so no client reaches this node" % (name, target))

if nodes == 0:
    sys.exit("compose: no node to check")
if problems:
    sys.exit("compose:\n  " + "\n  ".join(problems))
print("compose: valid; admin token and cluster secret required; %d nodes start empty, join through"
      " seed nodes, and publish their public and admin ports on loopback only" % nodes)
'
