package dev.edgeweave.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.sharding.TestApps;
import dev.edgeweave.wasmhost.TestGuests;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node killed with SIGKILL: the others keep serving, failing no request sent to them after the
 * kill (only requests in flight on the killed node may fail), while the split brain resolver downs
 * it and its shards move; and the node restarted on its data dir rejoins and serves its apps
 * without a new deploy. One scenario, in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CrashTest {

  private static final int APPS = 4;

  /**
   * The survivors must serve again within this long after the kill: failure detection (about 3 s),
   * the resolver's stable-after (5 s in these tests), removal and the shards' move, and requests
   * already waiting for the dead node timing out (wall time plus ask margin, 15 s), with room for a
   * slow machine. Not a timing measurement: a bound on "it recovers at all".
   */
  private static final Duration RECOVERY_BOUND = Duration.ofSeconds(60);

  @RegisterExtension
  static final WeaveCluster cluster =
      WeaveCluster.named("crash")
          .location("eu", 2)
          .location("us", 2)
          // Starting four JVMs on two busy cores can take longer than the default 10 s.
          .setting("edgeweave.node.bind-timeout", "60s")
          .build();

  @TempDir static Path appsDir;

  private static final List<String> apps = new ArrayList<>();

  @BeforeAll
  static void startAndDeploy() throws Exception {
    cluster.startAll();
    cluster.awaitClusterUp(4);
    for (int i = 0; i < APPS; i++) {
      String name = "crash-" + i;
      apps.add(name);
      cluster.deployEverywhere(
          TestApps.app(name).wagi("/...", "hello", TestGuests.c("hello")).writeTo(appsDir));
    }
    // Every app's entity gets a home in each location before the kill.
    for (WeaveNode node : cluster.nodes()) {
      for (String app : apps) {
        assertEquals(200, cluster.get(node, app + ".localhost", "/").status());
      }
    }
  }

  @Test
  @Order(1)
  void theOtherNodesShouldServeAgainAfterANodeIsKilled() throws Exception {
    // eu-2 has the higher address of its location: keep-majority keeps eu-1 on the 1-1 tie.
    WeaveNode victim = cluster.node("eu-2");
    WeaveNode neighbour = cluster.node("eu-1");
    List<String> victimEntities = cluster.status(victim).entities();
    assertFalse(victimEntities.isEmpty(), "the victim runs no entity, so its death proves little");
    List<WeaveNode> survivors = cluster.nodes().stream().filter(n -> n != victim).toList();

    Traffic traffic = Traffic.start(survivors, apps);
    WeaveCluster.sleep(Duration.ofSeconds(2));
    long killedAt = System.nanoTime();
    cluster.kill(victim);

    WeaveCluster.await(
        victim + " removed from the cluster as eu-1 sees it",
        RECOVERY_BOUND,
        () -> cluster.status(neighbour).member(victim).isEmpty());
    long removedAt = System.nanoTime();
    // Keep the traffic going until every survivor has served every app for two seconds.
    WeaveCluster.await(
        "every survivor serving every app again",
        RECOVERY_BOUND,
        () ->
            traffic.servingSince(
                survivors, apps, System.nanoTime() - Duration.ofSeconds(2).toNanos()));
    // Meanwhile eu-1 ran eu-2's requests itself; once eu-2 is gone, sharding places its entities
    // on eu-1 as the traffic reaches them.
    WeaveCluster.await(
        "eu-1 running every entity of eu",
        RECOVERY_BOUND,
        () -> cluster.status(neighbour).entities().containsAll(entities(apps)));
    List<Traffic.Outcome> outcomes = traffic.stop();

    System.out.printf(
        "kill -9 of %s (entities %s): removed from the cluster after %.1f s%n",
        victim, victimEntities, Traffic.seconds(removedAt - killedAt));
    for (WeaveNode node : survivors) {
      Traffic.Window window = Traffic.Window.of(outcomes, node, killedAt);
      System.out.println("  " + window);
      assertTrue(
          window.lastFailedSentSeconds() < RECOVERY_BOUND.toSeconds(),
          node + " still failed requests " + window.lastFailedSentSeconds() + " s after the kill");
      // Every survivor serves every release, so a request it received after the kill runs
      // somewhere alive (README of http-ingress, "Where a request runs"): only requests already
      // in flight on the killed node may fail.
      List<Traffic.Outcome> sentAfterKill =
          window.failed().stream().filter(o -> o.startNanos() >= killedAt).toList();
      assertTrue(
          sentAfterKill.isEmpty(),
          node
              + " failed "
              + sentAfterKill.size()
              + " requests sent after the kill of "
              + victim
              + ": "
              + window);
      if (!node.location().equals(victim.location())) {
        assertTrue(
            window.failed().isEmpty(),
            "a crash in " + victim.location() + " failed requests at " + node + ": " + window);
      }
    }
    for (WeaveNode node : survivors) {
      assertTrue(cluster.status(node).allUp(3), node + ": " + cluster.status(node).members());
    }
    assertTrue(
        cluster.status(neighbour).entities().containsAll(entities(apps)),
        "eu-1 took over every entity of eu: " + cluster.status(neighbour).entities());
  }

  @Test
  @Order(2)
  void theKilledNodeRestartedOnItsDataDirShouldRejoinAndServeItsApps() throws Exception {
    WeaveNode node = cluster.node("eu-2");
    cluster.restart(node);
    cluster.awaitClusterUp(4);
    NodeStatus status = cluster.status(node);
    assertEquals(APPS, status.apps(), "apps read back from the data dir");
    for (String app : apps) {
      WeaveCluster.Response response = cluster.get(node, app + ".localhost", "/");
      assertEquals(200, response.status(), app + ": " + response.body());
      assertEquals("Hello, Edgeweave\n", response.body());
    }
  }

  private static List<String> entities(List<String> apps) {
    return apps.stream().map(a -> a + "#0").toList();
  }
}
