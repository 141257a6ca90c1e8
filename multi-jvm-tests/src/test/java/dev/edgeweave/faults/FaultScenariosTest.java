package dev.edgeweave.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.cluster.NodeStatus;
import dev.edgeweave.cluster.WeaveCluster;
import dev.edgeweave.cluster.WeaveNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault suite: each scenario runs the workload (HTTP to several apps at every node, KV sets,
 * increments with operation ids and swaps at every node), injects its fault, deploys a new release
 * while the fault is active, heals, and checks the history (see {@link Checker} and {@link
 * ScenarioRun}). One 2×2 cluster serves every scenario in turn, each starting from a healed,
 * converged cluster; the nodes run in network namespaces of the suite's own when the machine allows
 * it (root, {@code ip}, {@code nft}), so partitions drop real packets. Elsewhere, or with {@code
 * -Dfaults.partitions=blackhole}, partitions are Pekko Artery's test-mode blackhole, set through
 * the nodes' fault-injection route ({@link ArteryBlackhole}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultScenariosTest {

  private static final List<String> NODES = List.of("eu-1", "eu-2", "us-1", "us-2");

  /** A fault must be noticed and acted on within this: a bound on "it recovers at all". */
  private static final Duration DECISION_BOUND = Duration.ofSeconds(60);

  /** {@code -Dfaults.partitions}: {@code auto} (the default) or {@code blackhole}. */
  private static final boolean FORCE_BLACKHOLE = forceBlackhole();

  private static final String UNAVAILABLE =
      FORCE_BLACKHOLE ? "-Dfaults.partitions=blackhole" : NetNamespaces.unavailableBecause();
  private static final NetNamespaces NETWORK =
      UNAVAILABLE == null ? NetNamespaces.create(NODES) : null;

  static {
    if (NETWORK != null) {
      Runtime.getRuntime().addShutdownHook(new Thread(NETWORK::close, "fault-network-cleanup"));
    }
  }

  @RegisterExtension
  static final WeaveCluster cluster =
      placed(WeaveCluster.named("faults").location("eu", 2).location("us", 2))
          .setting("edgeweave.spread.secret", "fault-suite-cluster-secret")
          // Four nodes starting at once (and again after a whole-cluster kill) on a loaded two-core
          // machine can take longer than the default 10 s from actor system to bound ports.
          .setting("edgeweave.node.bind-timeout", "60s")
          .build();

  private static final ProcessFaults faults =
      new ProcessFaults(
          cluster, NETWORK, NETWORK == null ? new ArteryBlackhole(cluster) : null, UNAVAILABLE);

  private static final Mesh mesh = Mesh.of(cluster);

  @TempDir static Path appsDir;

  /** In namespaces; else with the fault-injection route, which only the fallback needs. */
  private static WeaveCluster.Builder placed(WeaveCluster.Builder builder) {
    return NETWORK != null
        ? builder.placement(NETWORK)
        : builder.setting(ArteryBlackhole.FLAG, "on");
  }

  private static boolean forceBlackhole() {
    String mode = System.getProperty("faults.partitions", "auto");
    if (!mode.equals("auto") && !mode.equals("blackhole")) {
      throw new IllegalArgumentException(
          "-Dfaults.partitions=" + mode + ": expected auto or blackhole");
    }
    return mode.equals("blackhole");
  }

  @BeforeAll
  static void startAndDeploy() throws Exception {
    System.out.println(
        "fault suite: partitions by "
            + faults.mode()
            + (NETWORK == null ? " (network namespaces: " + UNAVAILABLE + ")" : ""));
    cluster.startAll();
    cluster.awaitClusterUp(NODES.size());
    ScenarioRun.deployApps(mesh, appsDir);
  }

  @AfterAll
  static void removeNetwork() {
    cluster.close();
    if (NETWORK != null) {
      NETWORK.close();
    }
  }

  @Test
  @Order(1)
  void killingANodeUnderLoadLosesNoAcknowledgedWrite() throws Exception {
    WeaveNode victim = cluster.node("eu-2");
    WeaveNode neighbour = cluster.node("eu-1");
    ScenarioRun run = ScenarioRun.start("kill-node", mesh, faults, appsDir);
    run.fault(() -> faults.kill(victim), victim);
    run.deployRelease(neighbour);
    awaitRemoved(neighbour, victim);
    run.hold(Duration.ofSeconds(5));
    run.heal(() -> faults.restart(victim));
    Summary s = run.finish();
    assertValid(s);
    assertNoErrorsIn(s, run, "us");
  }

  @Test
  @Order(2)
  void aNodePausedPastTheFailureDetectorIsDownedAndLosesNothing() throws Exception {
    WeaveNode victim = cluster.node("us-2");
    WeaveNode neighbour = cluster.node("us-1");
    ScenarioRun run = ScenarioRun.start("pause-node", mesh, faults, appsDir);
    run.fault(() -> faults.pause(victim), victim);
    run.deployRelease(neighbour);
    awaitRemoved(neighbour, victim);
    run.heal(
        () -> {
          faults.resume(victim);
          // Downed while paused, it shuts itself down on waking; then it comes back.
          cluster.awaitExit(victim, DECISION_BOUND);
          faults.restart(victim);
        });
    Summary s = run.finish();
    assertValid(s);
    assertNoErrorsIn(s, run, "eu");
  }

  @Test
  @Order(3)
  void aLocationPartitionedFromTheOtherKeepsServingAndConverges() throws Exception {
    ScenarioRun run = ScenarioRun.start("partition-locations", mesh, faults, appsDir);
    run.fault(() -> faults.partition(List.of(cluster.location("eu"), cluster.location("us"))));
    awaitLocationUnreachable(cluster.node("eu-1"), "us");
    awaitLocationUnreachable(cluster.node("us-1"), "eu");
    run.hold(Duration.ofSeconds(4));
    run.deployRelease(cluster.node("eu-1"));
    run.hold(Duration.ofSeconds(4));
    run.heal(faults::heal);
    // Both locations are cut off here, so no location is "without a fault": the errors clients
    // saw are measured and reported, not asserted (each location serves from its own nodes).
    assertValid(run.finish());
  }

  @Test
  @Order(4)
  void aMinorityCutOffInsideALocationIsDownedAndTheRestServes() throws Exception {
    WeaveNode minority = cluster.node("eu-2");
    WeaveNode neighbour = cluster.node("eu-1");
    List<WeaveNode> rest = cluster.nodes().stream().filter(n -> n != minority).toList();
    ScenarioRun run = ScenarioRun.start("partition-minority", mesh, faults, appsDir);
    run.fault(() -> faults.partition(List.of(List.of(minority), rest)), minority);
    run.deployRelease(cluster.node("us-1"));
    awaitRemoved(neighbour, minority);
    run.heal(
        () -> {
          faults.heal();
          // The cut-off node downs itself (keep-majority keeps the lowest address on a tie).
          cluster.awaitExit(minority, DECISION_BOUND);
          faults.restart(minority);
        });
    Summary s = run.finish();
    assertValid(s);
    assertNoErrorsIn(s, run, "us");
  }

  @Test
  @Order(5)
  void releasesDeployedOnBothSidesOfAPartitionConvergeToTheLast() throws Exception {
    ScenarioRun run = ScenarioRun.start("deploy-during-partition", mesh, faults, appsDir);
    run.fault(() -> faults.partition(List.of(cluster.location("eu"), cluster.location("us"))));
    awaitLocationUnreachable(cluster.node("eu-2"), "us");
    run.hold(Duration.ofSeconds(2));
    run.deployRelease(cluster.node("eu-2"));
    run.hold(Duration.ofSeconds(2));
    // The later release, at the other side, is the one every node must serve after healing.
    run.deployRelease(cluster.node("us-1"));
    run.hold(Duration.ofSeconds(4));
    run.heal(faults::heal);
    Summary s = run.finish();
    assertValid(s);
  }

  @Test
  @Order(6)
  void killingTheNodeThatHoldsAHotAppsShardLosesNothing() throws Exception {
    // The hot app is one whose entity lives on the higher node of its location (the one keep-
    // majority lets go on a tie); the other node of that location takes the shard over.
    WeaveNode victim = null;
    String hot = null;
    for (WeaveNode candidate : List.of(cluster.node("eu-2"), cluster.node("us-2"))) {
      Optional<String> app =
          cluster.status(candidate).entities().stream()
              .map(e -> e.substring(0, e.indexOf('#')))
              .filter(ScenarioRun.WEB_APPS::contains)
              .findFirst();
      if (app.isPresent()) {
        victim = candidate;
        hot = app.get();
        break;
      }
    }
    assertTrue(victim != null, "no web app's entity runs on eu-2 or us-2: nothing hot to kill");
    WeaveNode target = victim;
    WeaveNode neighbour = cluster.location(victim.location()).get(0);
    ScenarioRun run = ScenarioRun.start("kill-hot-shard", mesh, faults, appsDir);
    run.hotApp(hot, neighbour);
    run.fault(() -> faults.kill(target), target);
    run.deployRelease(neighbour);
    awaitRemoved(neighbour, target);
    run.hold(Duration.ofSeconds(5));
    run.heal(() -> faults.restart(target));
    Summary s = run.finish();
    assertValid(s);
    String other = victim.location().equals("eu") ? "us" : "eu";
    assertNoErrorsIn(s, run, other);
  }

  @Test
  @Order(7)
  void theWholeClusterKilledAndRestartedKeepsEveryAcknowledgedWrite() throws Exception {
    ScenarioRun run = ScenarioRun.start("restart-cluster", mesh, faults, appsDir);
    WeaveNode[] all = cluster.nodes().toArray(WeaveNode[]::new);
    run.fault(
        () -> {
          for (WeaveNode node : all) {
            faults.kill(node);
          }
        },
        all);
    run.hold(Duration.ofSeconds(2));
    run.heal(
        () -> {
          cluster.startAll();
          cluster.awaitClusterUp(NODES.size());
        });
    run.deployRelease(cluster.node("us-2"));
    Summary s = run.finish();
    assertValid(s);
  }

  private static void assertValid(Summary s) {
    assertTrue(s.anomalies().isEmpty(), s.line() + "\n" + String.join("\n", s.anomalies()));
    assertEquals(0, s.lost(), s.line());
  }

  private static void assertNoErrorsIn(Summary s, ScenarioRun run, String location) {
    int errors = run.errorsIn(location);
    assertEquals(
        0, errors, "clients in " + location + ", where no fault was, saw errors: " + s.line());
  }

  /** Proves a partition took effect: the observer's failure detector marks the location. */
  private static void awaitLocationUnreachable(WeaveNode observer, String location) {
    WeaveCluster.await(
        location + " unreachable as " + observer + " sees it",
        DECISION_BOUND,
        () ->
            ScenarioRun.unreachableLocations(mesh, observer)
                .map(l -> l.contains(location))
                .orElse(false));
  }

  private static void awaitRemoved(WeaveNode observer, WeaveNode node) {
    WeaveCluster.await(
        node + " removed from the cluster as " + observer + " sees it",
        DECISION_BOUND,
        () ->
            cluster
                .statusIfAnswering(observer)
                .map(NodeStatus::members)
                .map(m -> m.stream().noneMatch(x -> x.address().equals(node.address())))
                .orElse(false));
  }
}
