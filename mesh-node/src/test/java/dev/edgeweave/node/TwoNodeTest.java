package dev.edgeweave.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.edgeweave.sharding.FunctionEntity;
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
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.pattern.Patterns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes of one location in one cluster (two actor systems talking over Artery on loopback):
 * requests that enter one node's ingress run on entities the coordinator placed on the other, so
 * invocations and replies, megabyte bodies included, cross the network serialized.
 */
class TwoNodeTest {

  private static final int APPS = 6;

  @TempDir Path dir;

  private Config config(Path data, List<String> seeds) {
    return ConfigFactory.parseMap(
        Map.of(
            "edgeweave.node.data-dir",
            data.toString(),
            "edgeweave.ingress.port",
            0,
            "edgeweave.admin.port",
            0,
            "pekko.cluster.seed-nodes",
            seeds));
  }

  @Test
  void requestsShouldBeServedByEntitiesOnEitherNode() throws Exception {
    List<Path> apps = new ArrayList<>();
    for (int i = 0; i < APPS; i++) {
      apps.add(TestApps.app("app-" + i).wagi("/...", "echo", TestGuests.c("echo")).writeTo(dir));
    }
    try (Node first = Node.start(config(dir.resolve("a"), List.of()))) {
      String seed = Cluster.get(first.system()).selfMember().address().toString();
      try (Node second = Node.start(config(dir.resolve("b"), List.of(seed)))) {
        awaitMembersUp(first, 2);
        awaitRegionsRegistered(first, 2);
        for (Path app : apps) {
          // The same files give the same release digest on both nodes.
          assertEquals(first.deployDirectory(app).digest(), second.deployDirectory(app).digest());
        }

        HttpClient client = HttpClient.newHttpClient();
        String body = "edge".repeat(256 * 1024); // 1 MiB each way
        for (int i = 0; i < APPS; i++) {
          HttpResponse<String> response =
              client.send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + first.publicPort() + "/app-" + i + "/"))
                      .timeout(Duration.ofSeconds(30))
                      .POST(HttpRequest.BodyPublishers.ofString(body))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          assertEquals(200, response.statusCode(), "app-" + i);
          assertEquals("POST\n" + body, response.body(), "app-" + i);
        }

        int onSecond = entityCount(second);
        int onFirst = entityCount(first);
        assertEquals(APPS, onFirst + onSecond);
        assertTrue(onSecond > 0, "no entity was placed on the second node");
      }
    }
  }

  private static void awaitMembersUp(Node node, int count) throws InterruptedException {
    Cluster cluster = Cluster.get(node.system());
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      long up = 0;
      for (var member : cluster.state().getMembers()) {
        if (member.status() == MemberStatus.up()) {
          up++;
        }
      }
      if (up == count) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("cluster did not reach " + count + " members up");
  }

  /** The coordinator places shards only on regions that have registered with it. */
  private static void awaitRegionsRegistered(Node node, int count) throws Exception {
    var region =
        org.apache.pekko.cluster.sharding.ClusterSharding.get(Adapter.toClassic(node.system()))
            .shardRegion(FunctionEntity.TYPE_KEY.name());
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      Object regions =
          Patterns.ask(region, ShardRegion.getCurrentRegionsInstance(), Duration.ofSeconds(5))
              .toCompletableFuture()
              .get();
      if (((ShardRegion.CurrentRegions) regions).getRegions().size() == count) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("coordinator did not see " + count + " regions");
  }

  private static int entityCount(Node node) {
    TestProbe<ShardRegion.CurrentShardRegionState> probe = TestProbe.create(node.system());
    ClusterSharding.get(node.system())
        .shardState()
        .tell(new GetShardRegionState(FunctionEntity.TYPE_KEY, probe.getRef()));
    int count = 0;
    for (ShardRegion.ShardState shard : probe.receiveMessage(Duration.ofSeconds(10)).getShards()) {
      count += shard.getEntityIds().size();
    }
    return count;
  }
}
