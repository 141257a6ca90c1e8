package dev.edgeweave.faults;

import dev.edgeweave.cluster.Json;
import dev.edgeweave.cluster.Traffic;
import dev.edgeweave.cluster.WeaveCluster;
import dev.edgeweave.cluster.WeaveNode;
import dev.edgeweave.sharding.TestApps;
import dev.edgeweave.wasmhost.TestGuests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One scenario against a running cluster: the workload (HTTP traffic to several apps at every node,
 * KV clients at every node), a fault, a deploy of a new release while it is active, healing, and
 * the checks: every node back in the cluster, every node agreeing on the KV store and serving the
 * last release (the time from healing to that is the convergence time), the {@link Checker} over
 * the KV history, and what clients at the nodes the fault did not hit saw.
 */
final class ScenarioRun {

  /** Apps the HTTP traffic calls, the KV probe app, and the app that gets new releases. */
  static final List<String> WEB_APPS = List.of("web-0", "web-1", "web-2");

  static final String KV_APP = "kvprobe";
  static final String RELEASE_APP = "release";

  /** How long healing may take to bring every node back and converge: a bound, not a measure. */
  static final Duration CONVERGENCE_BOUND = Duration.ofSeconds(120);

  /** Longer soaks with {@code -Dfaults.soak=true}: every hold and load phase this many times. */
  static final int SOAK = Boolean.getBoolean("faults.soak") ? 6 : 1;

  private final String name;
  private final Mesh cluster;
  private final Faults faults;
  private final Path appsDir;
  private final History history = new History();
  private final KvWorkload kv;
  private final Set<WeaveNode> hit = new LinkedHashSet<>();
  private Traffic traffic;
  private Traffic hotTraffic;
  private final Map<String, Integer> errorsByLocation = new HashMap<>();
  private long faultNanos;
  private long healNanos;
  private String expectedRelease;
  private String deployedVia;

  private ScenarioRun(String name, Mesh cluster, Faults faults, Path appsDir) {
    this.name = name;
    this.cluster = cluster;
    this.faults = faults;
    this.appsDir = appsDir;
    this.kv = new KvWorkload(KV_APP, name + "-", history);
  }

  /** Deploys the scenario's web apps and the probe apps to every node, and checks they serve. */
  static void deployApps(Mesh cluster, Path appsDir) throws IOException {
    for (String app : WEB_APPS) {
      cluster.deployEverywhere(
          TestApps.app(app).wagi("/...", "hello", TestGuests.c("hello")).writeTo(appsDir));
    }
    deployProbes(cluster, appsDir);
    for (WeaveNode node : cluster.nodes()) {
      for (String app : WEB_APPS) {
        WeaveCluster.Response r = cluster.get(node, app + ".localhost", "/");
        if (r.status() != 200) {
          throw new AssertionError(node + " " + app + ": " + r);
        }
      }
    }
  }

  /** The KV probe (the weave-kv test guest on store "default") and the release app. */
  static void deployProbes(Mesh cluster, Path appsDir) {
    cluster.deployEverywhere(
        TestApps.app(KV_APP)
            .wagi("/kv", "kv", TestGuests.c("weave-kv"), "key_value_stores = [\"default\"]")
            .writeTo(appsDir));
    cluster.deployEverywhere(release(appsDir, "release 0"));
  }

  private static Path release(Path appsDir, String content) {
    return TestApps.app(RELEASE_APP)
        .wagi("/...", "hello", TestGuests.c("hello"))
        .file("release.txt", content.getBytes(StandardCharsets.UTF_8))
        .writeTo(appsDir);
  }

  /** Starts the workload at every node and lets it run a moment before the fault. */
  static ScenarioRun start(String name, Mesh cluster, Faults faults, Path appsDir) {
    return start(name, cluster, faults, appsDir, WEB_APPS);
  }

  /** The same, with HTTP traffic to these apps (by host name {@code <app>.localhost}). */
  static ScenarioRun start(
      String name, Mesh cluster, Faults faults, Path appsDir, List<String> webApps) {
    ScenarioRun run = new ScenarioRun(name, cluster, faults, appsDir);
    run.traffic = Traffic.start(cluster.nodes(), webApps);
    run.kv.start(cluster.nodes());
    WeaveCluster.sleep(Duration.ofSeconds(3L * SOAK));
    return run;
  }

  /** Adds a second stream of requests for {@code app} at every node: a hot app. */
  void hotApp(String app, WeaveNode... nodes) {
    hotTraffic = Traffic.start(nodes.length > 0 ? List.of(nodes) : cluster.nodes(), List.of(app));
  }

  /** Failed requests at the nodes of this location that the fault did not hit (after finish). */
  int errorsIn(String location) {
    return errorsByLocation.getOrDefault(location, 0);
  }

  /** Whether {@link #finish()} has stopped the workload. */
  private boolean workloadStopped;

  /**
   * Stops the workload of a scenario that failed before {@link #finish()} stopped it, so its
   * clients do not keep writing into the next scenario.
   */
  void abort() {
    if (workloadStopped) {
      return;
    }
    workloadStopped = true;
    kv.stop();
    traffic.stop();
    if (hotTraffic != null) {
      hotTraffic.stop();
    }
  }

  /** Injects a fault hitting these nodes; the error window is measured from here. */
  void fault(Runnable fault, WeaveNode... nodes) {
    hit.addAll(List.of(nodes));
    faultNanos = System.nanoTime();
    fault.run();
  }

  /** Lets the workload run with the fault active. */
  void hold(Duration duration) {
    WeaveCluster.sleep(duration.multipliedBy(SOAK));
  }

  /** Deploys a new release of the release app at {@code node}; it must reach every node. */
  void deployRelease(WeaveNode node) {
    String body = cluster.deploy(node, release(appsDir, name + " at " + System.nanoTime()));
    expectedRelease = String.valueOf(Json.object(body).get("digest"));
    deployedVia = node.name();
  }

  /**
   * Heals the fault; the convergence time is measured from the end of healing (partitions lifted,
   * stopped nodes started again and answering).
   */
  void heal(Runnable healing) {
    healing.run();
    healNanos = System.nanoTime();
  }

  /**
   * Waits for every node to be back, stops the workload, settles unacknowledged increments,
   * measures convergence, checks, prints the summary line and records it in FAULTS.md.
   */
  Summary finish() throws IOException {
    cluster.awaitClusterUp();
    workloadStopped = true;
    // Load keeps running for a while on the healed cluster.
    WeaveCluster.sleep(Duration.ofSeconds(3));
    kv.stop();
    List<Traffic.Outcome> outcomes = new ArrayList<>(traffic.stop());
    if (hotTraffic != null) {
      outcomes.addAll(hotTraffic.stop());
    }
    kv.settleIncrements(cluster::running, Duration.ofSeconds(60));
    Map<String, String> state = awaitConvergence();
    double convergence = (System.nanoTime() - healNanos) / 1e9;
    Checker.Result result = Checker.check(history.ops(), state);

    int errors = 0;
    double window = 0;
    List<String> notes = new ArrayList<>();
    for (WeaveNode node : cluster.nodes()) {
      if (hit.contains(node)) {
        continue;
      }
      Traffic.Window w = Traffic.Window.of(outcomes, node, faultNanos);
      System.out.println("  " + name + ": " + w);
      errors += w.failed().size();
      errorsByLocation.merge(node.location(), w.failed().size(), Integer::sum);
      window = Math.max(window, w.lastFailedSentSeconds());
    }
    long kvNotAcked = history.ops().stream().filter(o -> o.outcome() != History.Outcome.OK).count();
    long httpOk = outcomes.stream().filter(Traffic.Outcome::ok).count();
    if (expectedRelease != null) {
      notes.add("release deployed at " + deployedVia + " reached every node");
    }
    notes.add(result.indeterminate() + " kv indeterminate, " + kvNotAcked + " kv not acknowledged");
    Summary summary =
        new Summary(
            name,
            faults.mode(),
            outcomes.size() + result.operations(),
            (int) httpOk + result.acknowledged(),
            result.lost(),
            errors,
            hit.containsAll(cluster.nodes()) ? Double.NaN : window,
            convergence,
            String.join("; ", notes),
            result.anomalies());
    System.out.println(summary.line());
    for (String anomaly : result.anomalies()) {
      System.out.println("  anomaly: " + anomaly);
    }
    Report.record(summary);
    return summary;
  }

  /** Polls until every node reads the same KV store and serves the expected release. */
  private Map<String, String> awaitConvergence() {
    long deadline = System.nanoTime() + CONVERGENCE_BOUND.toNanos();
    Map<WeaveNode, Map<String, String>> seen = new LinkedHashMap<>();
    Map<WeaveNode, String> releases = new LinkedHashMap<>();
    while (System.nanoTime() < deadline) {
      seen.clear();
      releases.clear();
      boolean locationsReachable = true;
      for (WeaveNode node : cluster.running()) {
        export(node).ifPresent(s -> seen.put(node, s));
        locationsReachable &= unreachableLocations(cluster, node).map(List::isEmpty).orElse(false);
        if (expectedRelease != null) {
          WeaveCluster.Response app = cluster.app(node, RELEASE_APP);
          releases.put(
              node,
              app.status() == 200 ? String.valueOf(Json.object(app.body()).get("digest")) : "none");
        }
      }
      boolean agree =
          locationsReachable
              && seen.size() == cluster.nodes().size()
              && seen.values().stream().distinct().count() == 1
              && releases.values().stream().allMatch(d -> d.equals(expectedRelease));
      if (agree) {
        return seen.values().iterator().next();
      }
      WeaveCluster.sleep(Duration.ofMillis(250));
    }
    throw new AssertionError(
        name
            + ": nodes did not converge within "
            + CONVERGENCE_BOUND
            + "; releases "
            + releases
            + " (expected "
            + expectedRelease
            + "); stores differ: "
            + difference(seen));
  }

  private static String difference(Map<WeaveNode, Map<String, String>> seen) {
    Map<String, Map<String, String>> byKey = new HashMap<>();
    seen.forEach((node, s) -> s.forEach((k, v) -> byKey.computeIfAbsent(k, x -> new HashMap<>())));
    for (Map.Entry<String, Map<String, String>> e : byKey.entrySet()) {
      seen.forEach((node, s) -> e.getValue().put(node.name(), s.get(e.getKey())));
    }
    byKey
        .values()
        .removeIf(m -> m.values().stream().distinct().count() == 1 && m.size() == seen.size());
    return byKey.toString();
  }

  /**
   * The locations the node sees as unreachable ({@code unreachableLocations} of its status: the
   * members' own {@code reachable} flag covers its own location only), or empty if it does not
   * answer.
   */
  @SuppressWarnings("unchecked")
  static Optional<List<String>> unreachableLocations(Mesh mesh, WeaveNode node) {
    try {
      WeaveCluster.Response r = mesh.adminGet(node, "/v1/status");
      if (r.status() != 200) {
        return Optional.empty();
      }
      Map<String, Object> c = (Map<String, Object>) Json.object(r.body()).get("cluster");
      return Optional.of(List.copyOf((List<String>) c.get("unreachableLocations")));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The KV probe's default store as the node reads it (admin export), or empty. */
  @SuppressWarnings("unchecked")
  private Optional<Map<String, String>> export(WeaveNode node) {
    try {
      WeaveCluster.Response r = cluster.adminGet(node, "/v1/apps/" + KV_APP + "/kv/default/export");
      if (r.status() != 200) {
        return Optional.empty();
      }
      Map<String, String> state = new HashMap<>();
      for (Object e : (List<Object>) Json.object(r.body()).get("entries")) {
        Map<String, Object> entry = (Map<String, Object>) e;
        state.put(
            (String) entry.get("key"),
            new String(
                Base64.getDecoder().decode((String) entry.get("value")), StandardCharsets.UTF_8));
      }
      return Optional.of(state);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
