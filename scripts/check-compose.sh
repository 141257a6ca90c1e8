#!/usr/bin/env bash
# Checks docker-compose.yml without a Docker engine: it is valid; it refuses to start without an
# admin token of the user's own (no well-known default); a one-shot service (in a profile of its
# own, so `up` leaves it alone) makes the cluster's TLS keys with `weave keys` into a named volume,
# and every node mounts that volume read-only where WEAVE_CLUSTER_KEYS points (the cluster
# transport is TLS with mutual authentication); every node names the same location, one of the
# nodes' own, for majority compare-and-swap (WEAVE_KV_CAS_LOCATION); every node starts with no
# apps (a deploy spreads through the cluster), joins through WEAVE_SEED_NODES naming nodes of this
# file, and is reached at its own public and admin ports on the host's loopback address only;
# cluster traffic (Artery, blob transfer) is published nowhere.
set -euo pipefail
cd "$(dirname "$0")/.."

token=compose-check-token-0123456789
# Without the token docker-compose must stop before it starts anything.
if env -u WEAVE_ADMIN_TOKEN docker-compose config -q 2>/dev/null; then
  echo "compose: starts without WEAVE_ADMIN_TOKEN, so with a token anyone can guess" >&2
  exit 1
fi
WEAVE_ADMIN_TOKEN="$token" docker-compose config \
  | python3 -c '
import sys, yaml
PUBLIC, ADMIN, ARTERY = 8080, 8081, 25520
config = yaml.safe_load(sys.stdin)
services = config["services"]
problems, host_ports, nodes = [], {}, 0

def mounts(service):
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            yield volume.get("source"), volume.get("target"), bool(volume.get("read_only"))
        else:
            parts = str(volume).split(":")
            yield parts[0], parts[1], len(parts) > 2 and "ro" in parts[2].split(",")

# The keys service: `weave keys DIR` into a named volume at DIR, run on demand (a profile).
keys_volume = None
keys_services = [n for n, s in services.items() if (s.get("command") or [None])[0] == "keys"]
if len(keys_services) != 1:
    problems.append("one service must make the cluster keys (command [\"keys\", DIR]), found %s" % keys_services)
else:
    name = keys_services[0]
    service = services.pop(name)
    command = service["command"]
    if not service.get("profiles"):
        problems.append("%s: in no profile, so every `up` would run it (and it refuses existing keys)" % name)
    if service.get("ports"):
        problems.append("%s: publishes ports" % name)
    if len(command) != 2:
        problems.append("%s: command %s is not [\"keys\", DIR]" % (name, command))
    else:
        at = [source for source, target, _ in mounts(service) if target == command[1]]
        if not at or at[0] not in config.get("volumes", {}):
            problems.append("%s: %s is not a named volume, so the nodes cannot share its keys" % (name, command[1]))
        else:
            keys_volume = at[0]
locations = {str(s.get("environment", {}).get("WEAVE_LOCATION")) for s in services.values()}

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
    keys_dir = env.get("WEAVE_CLUSTER_KEYS")
    keys_mounts = [(source, ro) for source, target, ro in mounts(service) if target == keys_dir]
    if not keys_dir:
        problems.append("%s: no WEAVE_CLUSTER_KEYS, so its cluster transport is plain tcp" % name)
    elif keys_volume is not None and keys_mounts != [(keys_volume, True)]:
        problems.append("%s: WEAVE_CLUSTER_KEYS %s is not the volume %s mounted read-only" % (name, keys_dir, keys_volume))
    if env.get("WEAVE_KV_CAS_LOCATION") not in locations:
        problems.append("%s: WEAVE_KV_CAS_LOCATION %r is none of the locations %s, so majority compare-and-swap is UNAVAILABLE"
                        % (name, env.get("WEAVE_KV_CAS_LOCATION"), sorted(locations)))
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

cas = {str(s.get("environment", {}).get("WEAVE_KV_CAS_LOCATION")) for s in services.values()}
if len(cas) > 1:
    problems.append("the nodes name different WEAVE_KV_CAS_LOCATION %s; it must be the same on every node" % sorted(cas))
if nodes == 0:
    sys.exit("compose: no node to check")
if problems:
    sys.exit("compose:\n  " + "\n  ".join(problems))
print("compose: valid; admin token required; %d nodes start empty, use the TLS keys of volume %s"
      " (read-only), own majority compare-and-swap in %s, join through seed nodes, and publish"
      " their public and admin ports on loopback only" % (nodes, keys_volume, cas.pop()))
'
