package dev.edgeweave.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.internal.proto.ReleaseRecord;
import dev.edgeweave.deploy.spread.ReleaseNotice;
import dev.edgeweave.ingress.PublicIngress;
import dev.edgeweave.sharding.TestApps;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routing on a whole node, with the release map the cluster gossips: an app the cluster names but
 * no node can serve yet (its blobs are nowhere to be pulled) is answered 503 with Retry-After, not
 * "no app here", and the guests of an app the node serves see the node's name and location.
 */
class RoutingNodeTest {

  @TempDir Path dir;

  private Config config(Path data) {
    return ConfigFactory.parseMap(
        Map.of(
            "edgeweave.node.data-dir",
            data.toString(),
            "edgeweave.node.name",
            "routing-node",
            "edgeweave.node.bind-timeout",
            "60s",
            "edgeweave.ingress.port",
            0,
            "edgeweave.admin.port",
            0,
            "pekko.cluster.seed-nodes",
            List.of()));
  }

  private static HttpResponse<String> get(Node node, String host) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.publicPort() + "/"))
                .header("Host", host)
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anAppTheClusterNamesButNoNodeServesYetIsAnswered503WithRetryAfter() throws Exception {
    try (Node node = Node.start(config(dir.resolve("data")))) {
      // As another node does when it accepts a deploy: the release's notice, in the gossiped map.
      String manifest = TestApps.app("ghost").wagi("/...", "main", new byte[] {0}).manifest();
      byte[] record =
          ReleaseRecord.newBuilder()
              .setAppName("ghost")
              .setManifestToml(manifest)
              .putComponentModules("main", "1".repeat(64))
              .putFiles("main.wasm", "1".repeat(64))
              .build()
              .toByteArray();
      ReleaseNotice notice =
          ReleaseNotice.release("ghost", record, System.currentTimeMillis(), "elsewhere");
      var system = node.system();
      var self = DistributedData.get(system).selfUniqueAddress();
      AskPattern.<Replicator.Command, Replicator.UpdateResponse<LWWMap<String, ReleaseNotice>>>ask(
              DistributedData.get(system).replicator(),
              replyTo ->
                  new Replicator.Update<>(
                      ReleaseSpreader.RELEASES,
                      LWWMap.create(),
                      Replicator.writeLocal(),
                      replyTo,
                      map -> map.put(self, "ghost", notice)),
              Duration.ofSeconds(10),
              system.scheduler())
          .toCompletableFuture()
          .get();

      HttpResponse<String> response = get(node, "ghost.localhost");
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (response.statusCode() == 404 && System.nanoTime() < deadline) {
        Thread.sleep(100);
        response = get(node, "ghost.localhost");
      }
      assertEquals(503, response.statusCode(), response.body());
      assertTrue(
          response.body().startsWith("app 'ghost' is not ready in any location yet"),
          response.body());
      assertEquals(List.of("1"), response.headers().allValues("Retry-After"));
      assertTrue(response.headers().firstValue(PublicIngress.REQUEST_ID_HEADER).isPresent());
    }
  }

  @Test
  void aGuestSeesTheNameAndLocationOfTheNodeRunningIt() throws Exception {
    try (Node node = Node.start(config(dir.resolve("data")))) {
      node.deployDirectory(
          TestApps.app("env")
              .wagi("/...", "env", dev.edgeweave.wasmhost.TestGuests.c("env"))
              .writeTo(dir));
      HttpResponse<String> response = get(node, "env.localhost");
      assertEquals(200, response.statusCode(), response.body());
      assertTrue(response.body().contains("\nX_WEAVE_NODE=routing-node\n"), response.body());
      String location = Cluster.get(node.system()).selfMember().dataCenter();
      assertTrue(
          response.body().contains("\nX_WEAVE_LOCATION=" + location + "\n"), response.body());
    }
  }
}
