package dev.edgeweave.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * A node frozen with SIGSTOP and thawed with SIGCONT. Resumed before the split brain resolver
 * decides, it is reachable again and serves as before; resumed after the others downed it, it shuts
 * itself down instead of serving beside the cluster that removed it, and a restart brings it back.
 * One scenario, in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PauseTest {

  private static final int APPS = 4;

  /** A bound on "the cluster serves again at all", not a timing measurement. */
  private static final Duration RECOVERY_BOUND = Duration.ofSeconds(60);

  @RegisterExtension
  static final WeaveCluster cluster =
      WeaveCluster.named("pause").location("eu", 2).location("us", 2).build();

  @TempDir static Path appsDir;

  private static final List<String> apps = new ArrayList<>();

  @BeforeAll
  static void startAndDeploy() throws Exception {
    cluster.startAll();
    cluster.awaitClusterUp(4);
    for (int i = 0; i < APPS; i++) {
      String name = "pause-" + i;
      apps.add(name);
      cluster.deployEverywhere(
          TestApps.app(name).wagi("/...", "hello", TestGuests.c("hello")).writeTo(appsDir));
    }
    for (WeaveNode node : cluster.nodes()) {
      for (String app : apps) {
        assertEquals(200, cluster.get(node, app + ".localhost", "/").status());
      }
    }
  }

  @Test
  @Order(1)
  void aNodeResumedBeforeTheResolverDecidesShouldBeReachableAgainAndServe() throws Exception {
    WeaveNode paused = cluster.node("us-2");
    WeaveNode neighbour = cluster.node("us-1");
    long pid = paused.pid();
    List<WeaveNode> others = cluster.nodes().stream().filter(n -> n != paused).toList();

    Traffic traffic = Traffic.start(others, apps);
    WeaveCluster.sleep(Duration.ofSeconds(1));
    long pausedAt = System.nanoTime();
    cluster.pause(paused);
    WeaveCluster.await(
        paused + " unreachable as us-1 sees it",
        RECOVERY_BOUND,
        () -> cluster.status(neighbour).member(paused).map(m -> !m.reachable()).orElse(false));
    long unreachableAt = System.nanoTime();
    cluster.resume(paused);
    cluster.awaitClusterUp(4);
    long reachableAt = System.nanoTime();
    WeaveCluster.await(
        "every node serving every app again",
        RECOVERY_BOUND,
        () ->
            traffic.servingSince(
                others, apps, System.nanoTime() - Duration.ofSeconds(2).toNanos()));
    List<Traffic.Outcome> outcomes = traffic.stop();

    System.out.printf(
        "pause of %s: unreachable after %.1f s, resumed, reachable again %.1f s after the pause%n",
        paused, Traffic.seconds(unreachableAt - pausedAt), Traffic.seconds(reachableAt - pausedAt));
    for (WeaveNode node : others) {
      Traffic.Window window = Traffic.Window.of(outcomes, node, pausedAt);
      System.out.println("  " + window);
      assertTrue(window.lastFailedSentSeconds() < RECOVERY_BOUND.toSeconds(), window.toString());
    }
    assertEquals(pid, paused.pid(), "the paused node kept running: it was not downed");
    for (String app : apps) {
      assertEquals(200, cluster.get(paused, app + ".localhost", "/").status(), app);
    }
  }

  @Test
  @Order(2)
  void aNodeResumedAfterTheOthersDownedItShouldShutItselfDownAndRejoinWhenRestarted()
      throws Exception {
    WeaveNode paused = cluster.node("us-2");
    WeaveNode neighbour = cluster.node("us-1");
    List<WeaveNode> others = cluster.nodes().stream().filter(n -> n != paused).toList();

    Traffic traffic = Traffic.start(others, apps);
    WeaveCluster.sleep(Duration.ofSeconds(1));
    long pausedAt = System.nanoTime();
    cluster.pause(paused);
    WeaveCluster.await(
        paused + " downed and removed as us-1 sees it",
        RECOVERY_BOUND,
        () -> cluster.status(neighbour).member(paused).isEmpty());
    long removedAt = System.nanoTime();
    cluster.resume(paused);
    int exit = cluster.awaitExit(paused, Duration.ofSeconds(60));
    long exitedAt = System.nanoTime();
    WeaveCluster.await(
        "every other node serving every app",
        RECOVERY_BOUND,
        () ->
            traffic.servingSince(
                others, apps, System.nanoTime() - Duration.ofSeconds(2).toNanos()));
    List<Traffic.Outcome> outcomes = traffic.stop();

    System.out.printf(
        "long pause of %s: removed after %.1f s; resumed, it exited with status %d %.1f s later%n",
        paused, Traffic.seconds(removedAt - pausedAt), exit, Traffic.seconds(exitedAt - removedAt));
    for (WeaveNode node : others) {
      Traffic.Window window = Traffic.Window.of(outcomes, node, pausedAt);
      System.out.println("  " + window);
      assertTrue(window.lastFailedSentSeconds() < RECOVERY_BOUND.toSeconds(), window.toString());
    }
    // Pekko's exit code for a node shut down because the cluster downed it (-1).
    assertEquals(255, exit, "a downed node exits with a failure status");

    cluster.start(paused);
    cluster.awaitClusterUp(4);
    for (String app : apps) {
      assertEquals(200, cluster.get(paused, app + ".localhost", "/").status(), app);
    }
  }
}
