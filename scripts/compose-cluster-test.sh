#!/usr/bin/env bash
# The README's "A local cluster with docker-compose", run for real: builds the node and its image,
# makes the cluster's TLS keys (the compose service `keys`), brings up the compose cluster (two
# locations of two nodes), waits for the four to form one cluster and checks that each logged its
# cluster transport as TLS with mutual authentication; starts a node without the keys on the
# compose network and checks that it tries to join and never becomes a member; deploys
# examples/hello-c once, to eu-1, and waits until all four serve it; deploys a small app that
# swaps a key at majority (kv_cas) and calls it on all four nodes at once: every call must answer
# OK (not UNAVAILABLE, so the compose file's compare-and-swap location owns the swaps) and exactly
# one must have swapped. Then it kills eu-2's container and checks that the three others keep
# serving: us-1 and us-2 every request, eu-1 again once the cluster has removed eu-2 (its share
# of the apps moves to eu-1; see the README's "Running a node" on locations of two). Everything is
# torn down at the end, also on failure. Exits non-zero on any failure; the last line is a
# summary.
#
# Needs root on a machine without a running Docker engine (it installs docker.io, docker-compose
# and debootstrap through scripts/install-deps.sh if missing, and starts dockerd, stopping it at
# the end). No container registry is needed: the base image is built from Debian packages
# (scripts/debian-base-image.sh, about 80 s the first time, then reused by its tag). The nodes are
# reached only through the ports they publish on 127.0.0.1; they talk to each other on the compose
# network this run creates. The swap app is compiled from WAT with wat2wasm (wabt). Most of a run is Maven's package and four JVMs starting at once;
# the README gives measured times.
set -euo pipefail
cd "$(dirname "$0")/.."

# Bounds of each wait, in seconds: generous, as four JVMs start at once on what may be two cores.
FORM_TIMEOUT=${FORM_TIMEOUT:-300}
SERVE_TIMEOUT=${SERVE_TIMEOUT:-90}
RECOVER_TIMEOUT=${RECOVER_TIMEOUT:-150}
HOLD=${HOLD:-10}

start_time=$(date +%s.%N)
work="$(mktemp -d)"
dockerd_pid=""
intruder=""
pollers=()
failed_reason=""
summary=""

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
say() { echo "compose-test [$(elapsed "$start_time")s]: $*" >&2; }
fail() {
  failed_reason="$*"
  exit 1
}

teardown() {
  local status=$?
  trap - EXIT INT TERM
  set +e
  if [[ ${#pollers[@]} -gt 0 ]]; then
    kill "${pollers[@]}" 2>/dev/null
    wait "${pollers[@]}" 2>/dev/null
  fi
  if [[ -n "$intruder" ]]; then
    docker rm -f "$intruder" >/dev/null 2>&1
  fi
  if [[ -n "${COMPOSE_PROJECT_NAME:-}" ]] && docker info >/dev/null 2>&1; then
    if [[ $status -ne 0 ]]; then
      docker-compose logs --no-color --tail=40 >&2 2>&1
    fi
    say "tearing down $COMPOSE_PROJECT_NAME"
    docker-compose down -v --remove-orphans >"$work/down.log" 2>&1 || cat "$work/down.log" >&2
    if docker network inspect "${COMPOSE_PROJECT_NAME}_default" >/dev/null 2>&1; then
      docker network rm "${COMPOSE_PROJECT_NAME}_default" >/dev/null
    fi
    left="$(docker ps -aq --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")"
    if [[ -n "$left" ]]; then
      echo "compose-test: containers left behind: $left" >&2
      [[ $status -ne 0 ]] || status=1
    fi
  fi
  if [[ -n "$dockerd_pid" ]]; then
    kill "$dockerd_pid" 2>/dev/null
    wait "$dockerd_pid" 2>/dev/null
  fi
  rm -rf "$work"
  if [[ $status -eq 0 ]]; then
    echo "compose-cluster-test: PASSED in $(elapsed "$start_time")s: $summary"
  else
    echo "compose-cluster-test: FAILED after $(elapsed "$start_time")s: ${failed_reason:-exit status $status}${summary:+ ($summary)}"
  fi
  exit $status
}
trap teardown EXIT
trap 'fail "interrupted"' INT TERM

# The Docker engine and docker-compose, as this machine kind's Debian packages; dockerd started
# here when it does not run.
bash scripts/install-deps.sh --docker
if ! docker info >/dev/null 2>&1; then
  [[ "$(id -u)" -eq 0 ]] || fail "no Docker engine runs, and starting one needs root"
  say "starting dockerd"
  dockerd >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || { tail -20 "$work/dockerd.log" >&2; fail "dockerd exited"; }
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || fail "dockerd did not answer within 30 s"
fi

command -v wat2wasm >/dev/null || fail "wat2wasm (wabt) is needed to build the compare-and-swap app"

# The host ports the compose file publishes (node: public admin), all on 127.0.0.1.
declare -A public=([eu-1]=8180 [eu-2]=8182 [us-1]=8190 [us-2]=8192)
declare -A admin=([eu-1]=8181 [eu-2]=8183 [us-1]=8191 [us-2]=8193)
nodes=(eu-1 eu-2 us-1 us-2)
for node in "${nodes[@]}"; do
  for port in "${public[$node]}" "${admin[$node]}"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      fail "127.0.0.1:$port is taken by another program; the compose file publishes $node there"
    fi
  done
done

# One project per run: its containers, volumes and network are this run's alone.
export COMPOSE_PROJECT_NAME="edgeweave-test-$(date +%s)-$$"

# ---- the README's commands ----
mvn -B -ntp -q -DskipTests package -pl mesh-node -am
base=$(scripts/debian-base-image.sh)
say "base image $base"
export WEAVE_ADMIN_TOKEN=$(openssl rand -hex 24)
docker-compose build --build-arg BASE_IMAGE=$base >"$work/build.log" 2>&1 \
  || { tail -30 "$work/build.log" >&2; fail "docker-compose build"; }
built=$(elapsed "$start_time")
docker-compose run --rm keys >"$work/keys.log" 2>&1 \
  || { cat "$work/keys.log" >&2; fail "docker-compose run --rm keys"; }
say "made the cluster's TLS keys: $(grep -o 'made .*(ca.crt, tls.crt, tls.key)' "$work/keys.log")"
docker-compose up -d
say "containers started; waiting for the four nodes to form one cluster"
# ---- (the deploy and the requests follow below, each as the README gives it) ----

# GET /v1/status of a node: prints how many members it sees Up and reachable, and the entities
# it runs; nothing when it does not answer.
status() {
  curl -s --max-time 5 -H "Authorization: Bearer $WEAVE_ADMIN_TOKEN" \
    "http://127.0.0.1:${admin[$1]}/v1/status" | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
members = s["cluster"]["members"]
up = sum(1 for m in members if m["status"] == "Up" and m["reachable"])
print(up, len(members), ",".join(s.get("entities", [])) or "-")
'
}

# Each node's container, asked of docker-compose once (it is slow to start on a busy machine).
declare -A container=()
for node in "${nodes[@]}"; do
  container[$node]=$(docker-compose ps -q "$node")
  [[ -n "${container[$node]}" ]] || fail "docker-compose created no container for $node"
done

# A container that exited while it should run: fail at once, saying which.
check_running() {
  local node state
  for node in "$@"; do
    state=$(docker inspect -f '{{.State.Status}}' "${container[$node]}" 2>/dev/null || echo missing)
    [[ "$state" == running ]] || fail "$node's container is $state"
  done
}

up_start=$(date +%s.%N)
while :; do
  formed=0
  for node in "${nodes[@]}"; do
    read -r up total _ <<<"$(status "$node")" || true
    [[ "${up:-0}" == 4 && "${total:-0}" == 4 ]] && formed=$((formed + 1))
  done
  [[ $formed -eq 4 ]] && break
  check_running "${nodes[@]}"
  (($(awk -v a="$up_start" -v b="$(date +%s.%N)" -v t="$FORM_TIMEOUT" 'BEGIN { print (b - a > t) }'))) \
    && fail "the nodes did not form a cluster of four within ${FORM_TIMEOUT}s"
  sleep 1
done
formed_in=$(elapsed "$up_start")
say "one cluster of four, every node sees all four Up, ${formed_in}s after docker-compose up"

# Each node says at start which transport it runs: the cluster's keys were found and used.
# (The logs are read whole before grep: `grep -q` stops at the first match, and with pipefail
# the writer's broken pipe would fail the check.)
for node in "${nodes[@]}"; do
  logs=$(docker-compose logs --no-color "$node" 2>&1 || true)
  grep -q 'cluster transport: TLS with mutual authentication, keys from /keys' <<<"$logs" \
    || fail "$node did not log its cluster transport as TLS with mutual authentication"
done
say "all four run the cluster transport over TLS with mutual authentication"

# A node without the keys (plain tcp) on the compose network, told to join through eu-1: it must
# try (Pekko logs that it could not join) and never become a member. Started now, checked after
# the deploys below, which run meanwhile.
intruder=$(docker run -d --name "${COMPOSE_PROJECT_NAME}-intruder" \
  --network "${COMPOSE_PROJECT_NAME}_default" --hostname intruder \
  -e WEAVE_LOCATION=eu -e WEAVE_REMOTE_HOST="${COMPOSE_PROJECT_NAME}-intruder" \
  -e WEAVE_SEED_NODES=pekko://edgeweave@eu-1:25520 \
  -e JAVA_OPTS="-Xmx256m -Dedgeweave.node.bind-timeout=90s" edgeweave:dev up) \
  || fail "could not start a node without the keys on the compose network"
intruder_start=$(date +%s.%N)
say "started a node without the cluster's keys on the compose network"

# The members a node sees (addresses, comma-separated).
members() {
  curl -s --max-time 5 -H "Authorization: Bearer $WEAVE_ADMIN_TOKEN" \
    "http://127.0.0.1:${admin[$1]}/v1/status" | python3 -c '
import json, sys
try:
    print(",".join(m["address"] for m in json.load(sys.stdin)["cluster"]["members"]))
except (ValueError, KeyError):
    pass
'
}
# Fails when any node lists a member that is not one of the four.
check_no_intruder() {
  local node seen
  for node in "${nodes[@]}"; do
    seen=$(members "$node")
    [[ "$seen" != *intruder* ]] || fail "$node lists the node without the keys as a member: $seen"
  done
}

deploy_start=$(date +%s.%N)
./weave deploy examples/hello-c --to http://127.0.0.1:8181 >"$work/deploy.log" 2>&1 \
  || { cat "$work/deploy.log" >&2; fail "weave deploy to eu-1"; }
say "deployed hello-c to eu-1 in $(elapsed "$deploy_start")s"

# One request to a node's public port; prints the status code, 000 when nothing answered.
# Succeeds when the app answered with its greeting.
hello() {
  local code
  code=$(curl -s -o "$work/body.$1" -w '%{http_code}' --max-time "${2:-20}" \
    -H 'Host: hello-c.localhost' "http://127.0.0.1:${public[$1]}/hello") || true
  echo "${code:-000}"
  [[ "$code" == 200 ]] && grep -q '^Hello from WAGI/1' "$work/body.$1"
}

declare -A served_after=()
while [[ ${#served_after[@]} -lt 4 ]]; do
  for node in "${nodes[@]}"; do
    [[ -n "${served_after[$node]:-}" ]] && continue
    if hello "$node" 5 >/dev/null; then
      served_after[$node]=$(elapsed "$deploy_start")
      say "$node (127.0.0.1:${public[$node]}) serves hello-c, ${served_after[$node]}s after the deploy began"
    fi
  done
  (($(awk -v a="$deploy_start" -v b="$(date +%s.%N)" -v t="$SERVE_TIMEOUT" 'BEGIN { print (b - a > t) }'))) \
    && fail "not every node served hello-c within ${SERVE_TIMEOUT}s of the deploy (served: ${!served_after[*]})"
  [[ ${#served_after[@]} -lt 4 ]] && sleep 0.5
done
spread=$(printf '%s\n' "${served_after[@]}" | sort -g | tail -1)
check_no_intruder

# Majority compare-and-swap across both locations: an app whose every request swaps the key
# "claim" from missing to "claimed" with kv_cas and answers its status and whether it swapped.
mkdir -p "$work/cas-wat"
cat >"$work/cas-wat/spin.toml" <<'TOML'
spin_manifest_version = 2

[application]
name = "cas-wat"
version = "0.1.0"

[[trigger.http]]
route = "/claim"
component = "cas-wat"
executor = { type = "wagi" }

[component.cas-wat]
source = "cas.wasm"
key_value_stores = ["default"]
TOML
cat >"$work/cas-wat/cas.wat" <<'WAT'
(module
  (import "weave" "kv_open" (func $kv_open (param i32 i32 i32) (result i32)))
  (import "weave" "kv_cas"
    (func $kv_cas (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0: iovec; 16: bytes written; 20: store handle; 24: swapped
  (data (i32.const 64) "default")
  (data (i32.const 80) "claim")
  (data (i32.const 88) "claimed")
  ;; the answer: status at 161-162 (two decimal digits), swapped at 172
  (data (i32.const 128) "Content-Type: text/plain\n\nstatus 00 swapped 0\n")
  (func (export "_start")
    (local $status i32)
    (if (call $kv_open (i32.const 64) (i32.const 7) (i32.const 20)) (then unreachable))
    ;; expected: missing (expected_present 0), new: "claimed"
    (local.set $status
      (call $kv_cas (i32.load (i32.const 20)) (i32.const 80) (i32.const 5)
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 88) (i32.const 7) (i32.const 24)))
    (i32.store8 (i32.const 161) (i32.add (i32.const 48) (i32.div_u (local.get $status) (i32.const 10))))
    (i32.store8 (i32.const 162) (i32.add (i32.const 48) (i32.rem_u (local.get $status) (i32.const 10))))
    (i32.store8 (i32.const 172) (i32.add (i32.const 48) (i32.load (i32.const 24))))
    (i32.store (i32.const 0) (i32.const 128))
    (i32.store (i32.const 4) (i32.const 46))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))))
WAT
wat2wasm "$work/cas-wat/cas.wat" -o "$work/cas-wat/cas.wasm" || fail "wat2wasm of the swap app"
cas_start=$(date +%s.%N)
./weave deploy "$work/cas-wat" --to http://127.0.0.1:8181 >"$work/deploy-cas.log" 2>&1 \
  || { cat "$work/deploy-cas.log" >&2; fail "weave deploy of the swap app to eu-1"; }
# Ready when eu-1 reports every member serving the release (a request would swap already).
while :; do
  ready=$(curl -s --max-time 5 -H "Authorization: Bearer $WEAVE_ADMIN_TOKEN" \
    http://127.0.0.1:8181/v1/apps/cas-wat | python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)["readiness"]
    print(r["readyNodes"], r["nodes"])
except (ValueError, KeyError, TypeError):
    pass
') || true
  [[ "$ready" == "4 4" ]] && break
  (($(awk -v a="$cas_start" -v b="$(date +%s.%N)" -v t="$SERVE_TIMEOUT" 'BEGIN { print (b - a > t) }'))) \
    && fail "the swap app was not ready on all four nodes within ${SERVE_TIMEOUT}s (readiness: ${ready:-none})"
  sleep 0.5
done
say "the swap app serves on all four nodes, $(elapsed "$cas_start")s after its deploy began"
# One call on each node at once: all OK, exactly one swapped.
cas_pids=()
for node in "${nodes[@]}"; do
  curl -s -o "$work/cas.$node" --max-time 30 -H 'Host: cas-wat.localhost' \
    "http://127.0.0.1:${public[$node]}/claim" &
  cas_pids+=($!)
done
wait "${cas_pids[@]}" || true
swapped=0
cas_answers=""
for node in "${nodes[@]}"; do
  answer=$(cat "$work/cas.$node" 2>/dev/null || true)
  cas_answers+="$node: ${answer:-no answer}; "
  [[ "$answer" =~ ^status\ ([0-9]{2})\ swapped\ ([01])$ ]] \
    || fail "$node's compare-and-swap call answered '${answer}' (${cas_answers%; })"
  [[ "${BASH_REMATCH[1]}" == 00 ]] \
    || fail "$node's majority compare-and-swap returned status ${BASH_REMATCH[1]}, not OK (16 is UNAVAILABLE) (${cas_answers%; })"
  swapped=$((swapped + BASH_REMATCH[2]))
done
[[ $swapped -eq 1 ]] || fail "$swapped of the four concurrent swaps from the same value succeeded, not one (${cas_answers%; })"
say "majority compare-and-swap: four concurrent calls, one per node, all OK, one swapped (${cas_answers%; })"

# The node without the keys tried to join (the seed node refused its handshake) and is no member.
while ! grep -q "Couldn't join seed nodes" <<<"$(docker logs "$intruder" 2>&1 || true)"; do
  [[ "$(docker inspect -f '{{.State.Status}}' "$intruder")" == running ]] \
    || { docker logs --tail 20 "$intruder" >&2; fail "the node without the keys exited"; }
  (($(awk -v a="$intruder_start" -v b="$(date +%s.%N)" -v t="$FORM_TIMEOUT" 'BEGIN { print (b - a > t) }'))) \
    && { docker logs --tail 20 "$intruder" >&2; fail "the node without the keys did not report a failed join within ${FORM_TIMEOUT}s"; }
  sleep 1
done
check_no_intruder
intruder_tried=$(elapsed "$intruder_start")
docker rm -f "$intruder" >/dev/null
intruder=""
say "the node without the keys tried to join and was refused (no member lists it), ${intruder_tried}s after it started"

# Where each location runs hello-c: the eu node that loses it with eu-2 is told in the summary.
for node in eu-1 eu-2; do
  read -r _ _ entities <<<"$(status "$node")" || true
  [[ ",${entities:-}," == *",hello-c#"* ]] && eu_entity=$node
done
say "eu runs hello-c's entity on ${eu_entity:-neither node (not reported)}"

# Kill eu-2 (the higher address of eu: keep-majority keeps eu-1 on the 1-1 tie), then send
# requests to each survivor, one after the other, from a poller per node: a line per answer with
# the time it was sent (seconds after the kill) and the status code.
check_running "${nodes[@]}"
docker kill "$(docker-compose ps -q eu-2)" >/dev/null
kill_time=$(date +%s.%N)
[[ "$(docker inspect -f '{{.State.Status}}' "${container[eu-2]}")" != running ]] \
  || fail "eu-2's container still runs after docker kill"
say "killed eu-2's container"
survivors=(eu-1 us-1 us-2)
for node in "${survivors[@]}"; do
  (
    while :; do
      sent=$(elapsed "$kill_time")
      code=$(hello "$node" 20) && ok=ok || ok=bad
      echo "$sent $code $ok" >>"$work/after-kill.$node"
      sleep 0.2
    done
  ) &
  pollers+=($!)
done

# Done when eu-1 sees eu-2 removed (three members, all Up) and every survivor has answered every
# request it was sent for at least HOLD seconds, the latest sent within the last 3 (none hangs).
removed_after=""
while :; do
  sleep 1
  check_running "${survivors[@]}"
  if [[ -z "$removed_after" ]]; then
    read -r up total _ <<<"$(status eu-1)" || true
    if [[ "${up:-0}" == 3 && "${total:-0}" == 3 ]]; then
      removed_after=$(elapsed "$kill_time")
      say "eu-1 sees eu-2 removed, ${removed_after}s after the kill"
    fi
  fi
  for node in us-1 us-2; do
    if grep -q ' bad$' "$work/after-kill.$node" 2>/dev/null; then
      fail "$node (the other location) failed a request after eu-2 was killed: $(grep ' bad$' "$work/after-kill.$node" | head -1)"
    fi
  done
  now=$(elapsed "$kill_time")
  steady=0
  for node in "${survivors[@]}"; do
    awk -v now="$now" -v hold="$HOLD" '
      { n++; last = $1; if ($3 == "bad") since = ""; else if (since == "") since = $1 }
      END { exit !(n > 0 && since != "" && since <= now - hold && last >= now - 3) }
    ' "$work/after-kill.$node" 2>/dev/null && steady=$((steady + 1))
  done
  [[ -n "$removed_after" && $steady -eq 3 ]] && break
  (($(awk -v n="$now" -v t="$RECOVER_TIMEOUT" 'BEGIN { print (n > t) }'))) \
    && fail "the survivors did not all serve steadily within ${RECOVER_TIMEOUT}s of the kill"
done
kill "${pollers[@]}" 2>/dev/null || true
wait "${pollers[@]}" 2>/dev/null || true
pollers=()

# What each survivor's client saw after the kill.
after=""
for node in "${survivors[@]}"; do
  read -r n bad last <<<"$(awk '{ n++; if ($3 == "bad") { bad++; last = $1 } }
    END { print n + 0, bad + 0, (last == "" ? "-" : last) }' "$work/after-kill.$node")"
  if [[ $bad -eq 0 ]]; then
    after+="$node ${n}/${n} ok; "
  else
    after+="$node ${bad} of ${n} failed, the last sent ${last}s after the kill; "
  fi
done
say "after the kill: ${after%; }"

summary="image built at ${built}s; cluster of 4 formed ${formed_in}s after up, over TLS, a node without the keys refused; hello-c deployed once, served by all 4 after ${spread}s; majority CAS from 4 nodes at once: 1 swapped; eu-2 killed (eu's hello-c entity on ${eu_entity:-?}): removed after ${removed_after}s, ${after%; }"
