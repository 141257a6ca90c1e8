#!/usr/bin/env bash
# End-to-end HTTP benchmark: wrk against the hello-c example through the whole mesh (ingress,
# sharding, fresh Wasm instance) and against a bare Pekko HTTP route in the same JVM, same run.
# Prints latency p50/p99 at one connection and throughput at CONNS connections, and the ratios.
#   scripts/bench-http.sh                   DURATION=20s CONNS=16 ROUNDS=2 by default
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-20s}
CONNS=${CONNS:-16}
ROUNDS=${ROUNDS:-2}
PUBLIC_PORT=${PUBLIC_PORT:-18080}
BARE_PORT=${BARE_PORT:-18090}
command -v wrk >/dev/null || bash scripts/install-deps.sh

mvn -q -B -ntp -DskipTests -Dspotless.check.skip=true install -pl mesh-node -am
cpfile=$(mktemp)
mvn -q -B -ntp -pl mesh-node dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cpfile"
data=$(mktemp -d)
java -Xms512m -Xmx512m -cp "mesh-node/target/test-classes:mesh-node/target/classes:$(cat "$cpfile")" \
  dev.edgeweave.node.bench.IngressBenchServer examples/hello-c "$PUBLIC_PORT" "$BARE_PORT" "$data" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data" "$cpfile"' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$BARE_PORT/" >/dev/null 2>&1 && \
    curl -sf -H 'Host: hello-c.localhost' "http://127.0.0.1:$PUBLIC_PORT/hello" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -sf -H 'Host: hello-c.localhost' "http://127.0.0.1:$PUBLIC_PORT/hello" >/dev/null

mesh=(-H 'Host: hello-c.localhost' "http://127.0.0.1:$PUBLIC_PORT/hello")
bare=("http://127.0.0.1:$BARE_PORT/")

# Warm both paths up (JIT, Chicory's compiled module, connection pools).
wrk -t2 -c"$CONNS" -d10s "${mesh[@]}" >/dev/null
wrk -t2 -c"$CONNS" -d10s "${bare[@]}" >/dev/null

# wrk --latency prints "50%  1.23ms"; normalise to microseconds.
pct() { awk -v p="$1" '$1==p {v=$2; if (v ~ /us$/) {sub(/us/,"",v); print v} else if (v ~ /ms$/) {sub(/ms/,"",v); print v*1000} else if (v ~ /s$/) {sub(/s/,"",v); print v*1000000}}'; }
rps() { awk '/Requests\/sec/ {print $2}'; }

for round in $(seq 1 "$ROUNDS"); do
  for target in mesh bare; do
    if [ $target = mesh ]; then args=("${mesh[@]}"); else args=("${bare[@]}"); fi
    lat=$(wrk -t1 -c1 -d"$DURATION" --latency "${args[@]}")
    thr=$(wrk -t2 -c"$CONNS" -d"$DURATION" "${args[@]}")
    printf '%s round %s: p50 %s us, p99 %s us (1 conn); %s req/s (%s conns)\n' \
      "$target" "$round" "$(echo "$lat" | pct 50%)" "$(echo "$lat" | pct 99%)" "$(echo "$thr" | rps)" "$CONNS" | tee -a "$data/results"
  done
done

awk '
  /^mesh/ {mp50+=$5; mp99+=$8; mr+=$12; mn++}
  /^bare/ {bp50+=$5; bp99+=$8; br+=$12; bn++}
  END {
    printf "\nmean over %d rounds\n", mn
    printf "%-6s %10s %10s %12s\n", "", "p50 us", "p99 us", "req/s"
    printf "%-6s %10.0f %10.0f %12.0f\n", "mesh", mp50/mn, mp99/mn, mr/mn
    printf "%-6s %10.0f %10.0f %12.0f\n", "bare", bp50/bn, bp99/bn, br/bn
    printf "mesh adds %.0f us at p50, %.0f us at p99; throughput ratio mesh/bare = %.2f\n", mp50/mn-bp50/bn, mp99/mn-bp99/bn, (mr/mn)/(br/bn)
  }' "$data/results"
