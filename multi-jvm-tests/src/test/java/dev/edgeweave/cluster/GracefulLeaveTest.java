package dev.edgeweave.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.sharding.TestApps;
import dev.edgeweave.wasmhost.TestGuests;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node stopped with SIGTERM while clients keep sending requests to it and to the others: it
 * refuses new connections, finishes what it accepted (a request that takes longer than Pekko's
 * default 5 s shutdown phase included), hands its shards to the other node of its location and
 * leaves. No request that a node accepted fails.
 */
class GracefulLeaveTest {

  private static final int APPS = 4;

  /**
   * How long the slow request sleeps in its guest: well past Pekko's 5 s default for the shutdown
   * phase that waits for requests, and past the rest of the shutdown (hand-off, leave) too.
   */
  private static final int SLOW_MILLIS = 12_000;

  @RegisterExtension
  static final WeaveCluster cluster =
      WeaveCluster.named("leave")
          .location("eu", 2)
          .location("us", 2)
          .setting("edgeweave.apps.slow.limits.wall-time", "30s")
          .build();

  @TempDir static Path appsDir;

  private static final List<String> apps = new ArrayList<>();

  @BeforeAll
  static void startAndDeploy() throws Exception {
    cluster.startAll();
    cluster.awaitClusterUp(4);
    for (int i = 0; i < APPS; i++) {
      String name = "leave-" + i;
      apps.add(name);
      cluster.deployEverywhere(
          TestApps.app(name).wagi("/...", "hello", TestGuests.c("hello")).writeTo(appsDir));
    }
    cluster.deployEverywhere(
        TestApps.app("slow").wagi("/...", "sleep", TestGuests.c("sleep")).writeTo(appsDir));
    for (WeaveNode node : cluster.nodes()) {
      for (String app : apps) {
        assertEquals(200, cluster.get(node, app + ".localhost", "/").status());
      }
    }
  }

  @Test
  void aNodeLeavingGracefullyShouldFailNoRequestItOrTheOthersAccepted() throws Exception {
    // eu-1 is the oldest node of eu: it also hosts eu's shard coordinator, which moves too.
    WeaveNode leaving = cluster.node("eu-1");
    WeaveNode neighbour = cluster.node("eu-2");
    List<String> leavingEntities = cluster.status(leaving).entities();
    assertTrue(!leavingEntities.isEmpty(), "the leaving node runs no entity to hand off");

    Traffic traffic = Traffic.start(cluster.nodes(), apps, Map.of(leaving, neighbour));
    WeaveCluster.sleep(Duration.ofSeconds(2));
    CompletableFuture<HttpResponse<String>> slow = slowRequest(leaving);
    WeaveCluster.sleep(Duration.ofSeconds(1));

    long stoppedAt = System.nanoTime();
    int exit = cluster.stop(leaving);
    long exitedAt = System.nanoTime();
    WeaveCluster.sleep(Duration.ofSeconds(3));
    List<Traffic.Outcome> outcomes = traffic.stop();
    HttpResponse<String> slowResponse;
    try {
      slowResponse = slow.get(1, TimeUnit.MINUTES);
    } catch (ExecutionException e) {
      throw new AssertionError(
          "the request accepted before SIGTERM got no answer: " + e.getCause(), e.getCause());
    }

    List<Traffic.Outcome> refused =
        outcomes.stream().filter(o -> o.node() == leaving && o.refused()).toList();
    List<Traffic.Outcome> unanswered =
        outcomes.stream().filter(Traffic.Outcome::unanswered).toList();
    List<Traffic.Outcome> servedDuringShutdown =
        outcomes.stream()
            .filter(o -> o.node() == leaving && o.ok() && o.endNanos() > stoppedAt)
            .toList();
    System.out.printf(
        "SIGTERM to %s (entities %s): exited with %d after %.1f s; it answered %d requests after"
            + " SIGTERM, refused %d connections and closed %d unanswered (each retried on %s); the"
            + " %d ms request: %d%n",
        leaving,
        leavingEntities,
        exit,
        Traffic.seconds(exitedAt - stoppedAt),
        servedDuringShutdown.size(),
        refused.size(),
        unanswered.size(),
        neighbour,
        SLOW_MILLIS,
        slowResponse.statusCode());
    for (WeaveNode node : cluster.nodes()) {
      System.out.println("  " + Traffic.Window.of(outcomes, node, stoppedAt));
    }
    long dropped = 0;
    long sentAgain = 0;
    for (WeaveNode node : cluster.nodes()) {
      dropped += cluster.logLines(node, "buffered messages to shard");
      sentAgain += cluster.logLines(node, "sending again an invocation");
    }
    System.out.printf(
        "  shard hand-offs that dropped buffered invocations: %d; invocations sent again: %d%n",
        dropped, sentAgain);

    List<Traffic.Outcome> failed =
        outcomes.stream().filter(Traffic.Outcome::failedAfterAccepted).toList();
    assertTrue(failed.isEmpty(), "accepted requests failed: " + failed);
    List<Traffic.Outcome> retries = outcomes.stream().filter(Traffic.Outcome::retry).toList();
    assertTrue(!refused.isEmpty(), "the leaving node never refused a connection");
    assertTrue(
        unanswered.stream().allMatch(o -> o.node() == leaving),
        "a node that stayed closed connections unanswered: " + unanswered);
    assertEquals(refused.size() + unanswered.size(), retries.size());
    assertTrue(retries.stream().allMatch(Traffic.Outcome::ok), "retries: " + retries);
    assertEquals(200, slowResponse.statusCode(), slowResponse.body());
    assertEquals("slept " + SLOW_MILLIS + " ms\n", slowResponse.body());
    // The JVM's status after SIGTERM (128 + 15); a node downed by the others exits with 255.
    assertEquals(143, exit);

    cluster.awaitClusterUp(3);
    for (WeaveNode node : cluster.running()) {
      assertTrue(cluster.status(node).member(leaving).isEmpty(), node + " still lists " + leaving);
    }
    List<String> handedOver = cluster.status(neighbour).entities();
    for (String app : apps) {
      assertTrue(handedOver.contains(app + "#0"), neighbour + " runs " + handedOver);
    }
  }

  /**
   * A request to the slow app that stays in flight through the node's shutdown. A POST, on a
   * connection of its own: the JDK client resends an idempotent request whose kept-alive connection
   * closes before the answer, which would turn a request cut by the node into a refused one.
   */
  private static CompletableFuture<HttpResponse<String>> slowRequest(WeaveNode node) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    return client.sendAsync(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + node.httpPort() + "/?ms=" + SLOW_MILLIS))
            .header("Host", "slow.localhost")
            .timeout(Duration.ofMinutes(1))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
