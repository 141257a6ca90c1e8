#!/usr/bin/env bash
# End-to-end HTTP benchmarks with wrk, through the whole mesh (ingress, sharding, guest scheduler,
# fresh Wasm instance), each compared with a baseline measured in the same run.
#
#   scripts/bench-http.sh                   MODE=throughput DURATION=20s CONNS=16 HIGH_CONNS=64 ROUNDS=2
#   MODE=fairness scripts/bench-http.sh     DURATION=20s HOG_CLIENTS=40 ROUNDS=2
#   JAVA_OPTS=-D...                         node settings for the server JVM
#
# throughput: the hello-c example through the mesh against a bare Pekko HTTP route in the same JVM:
#   latency p50/p99 at one connection, throughput at CONNS and at HIGH_CONNS connections (more
#   clients than the app's max-concurrency: the rest wait in its queue), and the ratios.
# fairness: hello-c's latency at one connection alone, then while HOG_CLIENTS clients keep an app
#   whose guest loops until its wall time busy (each client sends its next request when the last
#   one is answered, and waits Retry-After after a 503); the ratio loaded/unloaded.
# Fails loudly if a wrk run against hello-c or the bare route saw a non-2xx response or a socket
# error (wrk's timeout is 2 s), or measured nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${MODE:-throughput}
DURATION=${DURATION:-20s}
CONNS=${CONNS:-16}
HIGH_CONNS=${HIGH_CONNS:-64}
HOG_CLIENTS=${HOG_CLIENTS:-40}
ROUNDS=${ROUNDS:-2}
PUBLIC_PORT=${PUBLIC_PORT:-18080}
BARE_PORT=${BARE_PORT:-18090}
case "$MODE" in throughput | fairness) ;; *) echo "MODE must be throughput or fairness" >&2; exit 2 ;; esac
command -v wrk >/dev/null && command -v wat2wasm >/dev/null || bash scripts/install-deps.sh

# Build in the reactor (nothing is installed into the local Maven repository); the classpath then
# names this checkout's jars.
cpfile=$(mktemp)
mvn -q -B -ntp -DskipTests -Dspotless.check.skip=true package dependency:build-classpath \
  -pl mesh-node -am -Dmdep.includeScope=test -Dmdep.outputFile="$cpfile"
data=$(mktemp -d)
apps=(examples/hello-c)
if [ "$MODE" = fairness ]; then
  # An app whose guest never returns: each request holds a guest until its wall time (504).
  mkdir -p "$data/apps/loop"
  wat2wasm wasm-host/src/test/resources/guests/loop.wat -o "$data/apps/loop/loop.wasm"
  cat >"$data/apps/loop/spin.toml" <<'EOF'
spin_manifest_version = 2

[application]
name = "loop"
version = "1.0.0"

[[trigger.http]]
route = "/..."
component = "loop"
executor = { type = "wagi" }

[component.loop]
source = "loop.wasm"
EOF
  apps+=("$data/apps/loop")
fi
# shellcheck disable=SC2086 # JAVA_OPTS: extra JVM options, e.g. -Dedgeweave.limits.max-queue=0
java -Xms512m -Xmx512m ${JAVA_OPTS:-} -cp "mesh-node/target/test-classes:mesh-node/target/classes:$(cat "$cpfile")" \
  dev.edgeweave.node.bench.IngressBenchServer "$PUBLIC_PORT" "$BARE_PORT" "$data/node" "${apps[@]}" &
server=$!
hogs=()
cleanup() {
  local status=$?
  touch "$data/stop-hogs" 2>/dev/null || true
  for h in "${hogs[@]}"; do kill "$h" 2>/dev/null || true; done
  kill $server 2>/dev/null || true
  wait $server 2>/dev/null || true
  rm -rf "$data" "$cpfile"
  exit $status
}
trap cleanup EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$BARE_PORT/" >/dev/null 2>&1 && \
    curl -sf -H 'Host: hello-c.localhost' "http://127.0.0.1:$PUBLIC_PORT/hello" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -sf -H 'Host: hello-c.localhost' "http://127.0.0.1:$PUBLIC_PORT/hello" >/dev/null

mesh=(-H 'Host: hello-c.localhost' "http://127.0.0.1:$PUBLIC_PORT/hello")
bare=("http://127.0.0.1:$BARE_PORT/")

# wrk --latency prints "50%  1.23ms"; normalise to microseconds.
pct() { awk -v p="$1" '$1==p {v=$2; if (v ~ /us$/) {sub(/us/,"",v); print v} else if (v ~ /ms$/) {sub(/ms/,"",v); print v*1000} else if (v ~ /s$/) {sub(/s/,"",v); print v*1000000}}'; }
rps() { awk '/Requests\/sec/ {print $2}'; }

# Fails the whole run unless wrk measured something and every response was 2xx, in time.
check() {
  local label=$1 out=$2 count
  count=$(echo "$out" | awk '/requests in/ {print $1}')
  if [ -z "$count" ] || [ "$count" -eq 0 ]; then
    printf 'FAILED: %s measured nothing\n%s\n' "$label" "$out" >&2
    exit 1
  fi
  if echo "$out" | grep -q -e 'Non-2xx' -e 'Socket errors'; then
    printf 'FAILED: %s: %s\n%s\n' "$label" "$(echo "$out" | grep -e 'Non-2xx' -e 'Socket errors' | xargs)" "$out" >&2
    exit 1
  fi
}

measure() { # label, wrk arguments...
  local label=$1 out
  shift
  out=$(wrk "$@")
  check "$label" "$out"
  echo "$out"
}

# Warm both paths up (JIT, Chicory's compiled module, connection pools).
measure "warm-up mesh" -t2 -c"$CONNS" -d10s "${mesh[@]}" >/dev/null
measure "warm-up bare" -t2 -c"$CONNS" -d10s "${bare[@]}" >/dev/null

if [ "$MODE" = throughput ]; then
  for round in $(seq 1 "$ROUNDS"); do
    for target in mesh bare; do
      if [ $target = mesh ]; then args=("${mesh[@]}"); else args=("${bare[@]}"); fi
      lat=$(measure "$target latency" -t1 -c1 -d"$DURATION" --latency "${args[@]}")
      thr=$(measure "$target at $CONNS connections" -t2 -c"$CONNS" -d"$DURATION" "${args[@]}")
      high=$(measure "$target at $HIGH_CONNS connections" -t2 -c"$HIGH_CONNS" -d"$DURATION" "${args[@]}")
      printf '%s round %s: p50 %s us, p99 %s us (1 conn); %s req/s (%s conns); %s req/s (%s conns); no non-2xx\n' \
        "$target" "$round" "$(echo "$lat" | pct 50%)" "$(echo "$lat" | pct 99%)" \
        "$(echo "$thr" | rps)" "$CONNS" "$(echo "$high" | rps)" "$HIGH_CONNS" | tee -a "$data/results"
    done
  done
  awk -v c="$CONNS" -v h="$HIGH_CONNS" '
    /^mesh/ {mp50+=$5; mp99+=$8; mr+=$12; mh+=$16; mn++}
    /^bare/ {bp50+=$5; bp99+=$8; br+=$12; bh+=$16; bn++}
    END {
      printf "\nmean over %d rounds\n", mn
      printf "%-6s %10s %10s %14s %14s\n", "", "p50 us", "p99 us", "req/s @" c, "req/s @" h
      printf "%-6s %10.0f %10.0f %14.0f %14.0f\n", "mesh", mp50/mn, mp99/mn, mr/mn, mh/mn
      printf "%-6s %10.0f %10.0f %14.0f %14.0f\n", "bare", bp50/bn, bp99/bn, br/bn, bh/bn
      printf "mesh adds %.0f us at p50, %.0f us at p99; throughput ratio mesh/bare = %.2f at %d connections, %.2f at %d\n", mp50/mn-bp50/bn, mp99/mn-bp99/bn, (mr/mn)/(br/bn), c, (mh/mn)/(bh/bn), h
      printf "mesh at %d connections / mesh at %d = %.2f\n", h, c, (mh/mn)/(mr/mn)
    }' "$data/results"
  exit 0
fi

# fairness: one client sends its next request when the last is answered; after a 503 it waits the
# Retry-After the node gave (1 s by default).
hog() {
  local code
  while [ ! -e "$data/stop-hogs" ]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H 'Host: loop.localhost' \
      "http://127.0.0.1:$PUBLIC_PORT/" || true)
    echo "$code" >>"$data/hog-$BASHPID"
    if [ "$code" = 503 ]; then sleep 1; fi
  done
}
for round in $(seq 1 "$ROUNDS"); do
  alone=$(measure "hello-c alone" -t1 -c1 -d"$DURATION" --latency "${mesh[@]}")
  rm -f "$data/stop-hogs" "$data"/hog-*
  hogs=()
  for _ in $(seq 1 "$HOG_CLIENTS"); do
    hog &
    hogs+=($!)
  done
  sleep 2 # the looping guests take every slot
  loaded=$(measure "hello-c beside the looping app" -t1 -c1 -d"$DURATION" --latency "${mesh[@]}")
  touch "$data/stop-hogs"
  wait "${hogs[@]}"
  hogs=()
  hogged=$(cat "$data"/hog-* | sort | uniq -c | awk '{printf "%s%s x %s", (n++ ? ", " : ""), $1, $2}')
  printf 'round %s: alone p50 %s us, p99 %s us; beside %s clients of the looping app p50 %s us, p99 %s us; no non-2xx (looping app: %s)\n' \
    "$round" "$(echo "$alone" | pct 50%)" "$(echo "$alone" | pct 99%)" "$HOG_CLIENTS" \
    "$(echo "$loaded" | pct 50%)" "$(echo "$loaded" | pct 99%)" "$hogged" | tee -a "$data/results"
done
awk '
  /^round/ {a50+=$5; a99+=$8; l50+=$18; l99+=$21; n++}
  END {
    printf "\nmean over %d rounds: hello-c alone p50 %.0f us, p99 %.0f us; beside the looping app p50 %.0f us, p99 %.0f us\n", n, a50/n, a99/n, l50/n, l99/n
    printf "ratio loaded/alone: p50 %.1f, p99 %.1f\n", (l50/n)/(a50/n), (l99/n)/(a99/n)
  }' "$data/results"
