package dev.edgeweave.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.sharding.TestApps;
import dev.edgeweave.wasmhost.TestGuests;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deploy once, served everywhere: a release deployed to one node of a 2×2 cluster spreads to every
 * node of both locations (its record by Distributed Data, its blobs pulled from peers), a removal
 * spreads the same way, and a node that was down during a deploy catches up when it restarts.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SpreadTest {

  private static final Duration SPREAD_TIMEOUT = Duration.ofSeconds(30);

  @RegisterExtension
  static final WeaveCluster cluster =
      WeaveCluster.named("spread")
          .location("eu", 2)
          .location("us", 2)
          .setting("edgeweave.spread.secret", "spread-test-cluster-secret")
          .build();

  @TempDir static Path apps;

  @BeforeAll
  static void start() {
    cluster.startAll();
    cluster.awaitClusterUp(4);
  }

  private static int status(WeaveNode node, String app) {
    try {
      return cluster.get(node, app + ".localhost", "/").status();
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * Waits until every given node answers the app with {@code expected}; returns the time it took.
   */
  private static Duration awaitEverywhere(
      List<WeaveNode> nodes, String app, int expected, long startNanos) {
    List<WeaveNode> waiting = new ArrayList<>(nodes);
    WeaveCluster.await(
        app + " answering " + expected + " at " + waiting,
        SPREAD_TIMEOUT,
        () -> {
          waiting.removeIf(n -> status(n, app) == expected);
          return waiting.isEmpty();
        });
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /** What the node's blob server has sent its peers since it started. */
  @SuppressWarnings("unchecked")
  private static long uploadedBytes(WeaveNode node) {
    String status = cluster.adminGet(node, "/v1/status").body();
    Map<String, Object> uploads = (Map<String, Object>) Json.object(status).get("blobUploads");
    if (uploads == null) {
      throw new AssertionError(node + " reports no blobUploads: " + status);
    }
    return ((Number) uploads.get("bytes")).longValue();
  }

  @Test
  @Order(1)
  void anAppDeployedToOneNodeIsServedByEveryNodeOfBothLocationsAndReportedReady()
      throws IOException {
    Path app =
        TestApps.app("spread-one").wagi("/...", "hello", TestGuests.c("hello")).writeTo(apps);
    WeaveNode origin = cluster.node("eu-1");
    long originSentBefore = uploadedBytes(origin);
    long start = System.nanoTime();
    cluster.deploy(origin, app);
    Duration took = awaitEverywhere(cluster.nodes(), "spread-one", 200, start);
    for (WeaveNode node : cluster.nodes()) {
      WeaveCluster.Response r = cluster.get(node, "spread-one.localhost", "/");
      assertEquals("Hello, Edgeweave\n", r.body(), node.toString());
    }
    System.out.println("deploy at eu-1 served by all four nodes after " + took.toMillis() + " ms");

    // Three nodes pulled the module; the origin sent it at most twice, the others the rest.
    long moduleBytes = TestGuests.c("hello").length;
    long originSent = uploadedBytes(origin) - originSentBefore;
    long allSent = 0;
    for (WeaveNode node : cluster.nodes()) {
      allSent += uploadedBytes(node);
    }
    System.out.println(
        "the origin sent "
            + originSent
            + " bytes of "
            + allSent
            + " (module: "
            + moduleBytes
            + ")");
    assertTrue(originSent >= moduleBytes, "the origin sent " + originSent + " bytes");
    assertTrue(originSent <= 2 * moduleBytes, "the origin sent " + originSent + " bytes");

    // The rollout as any node reports it: every member serves the release.
    String digest = Json.object(cluster.app(origin, "spread-one").body()).get("digest").toString();
    WeaveNode reporter = cluster.node("us-2");
    WeaveCluster.await(
        "us-2 reporting every member ready",
        SPREAD_TIMEOUT,
        () -> {
          String body = cluster.app(reporter, "spread-one").body();
          return cluster.nodes().stream()
              .allMatch(n -> body.contains("\"" + n.address() + "\":\"" + digest + "\""));
        });
  }

  @Test
  @Order(2)
  void aRemovalAtOneNodeSpreadsToEveryNode() {
    long start = System.nanoTime();
    cluster.remove(cluster.node("us-2"), "spread-one");
    Duration took = awaitEverywhere(cluster.nodes(), "spread-one", 404, start);
    System.out.println("removal at us-2 reached all four nodes after " + took.toMillis() + " ms");
  }

  @Test
  @Order(3)
  void aNodeDownDuringADeployCatchesUpWhenItRestarts() {
    WeaveNode late = cluster.node("us-1");
    cluster.stop(late);
    cluster.awaitClusterUp(3);
    Path app =
        TestApps.app("spread-late").wagi("/...", "hello", TestGuests.c("hello")).writeTo(apps);
    cluster.deploy(cluster.node("eu-2"), app);
    List<WeaveNode> others = cluster.running();
    awaitEverywhere(others, "spread-late", 200, System.nanoTime());

    long start = System.nanoTime();
    cluster.start(late);
    Duration took = awaitEverywhere(List.of(late), "spread-late", 200, start);
    System.out.println(
        "restarted us-1 served the missed app " + took.toMillis() + " ms after start");
  }
}
