package dev.edgeweave.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.sharding.TestApps;
import dev.edgeweave.wasmhost.TestGuests;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes in one JVM: a release deployed through one node's admin API is installed by the other
 * (record by Distributed Data, blobs pulled from the first node's blob server), and its removal
 * follows.
 */
class ReleaseSpreadTest {

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
            "edgeweave.admin.token",
            "admin-token-of-the-spread-test",
            "edgeweave.spread.secret",
            "cluster-secret",
            "edgeweave.spread.peer-port",
            0,
            "pekko.cluster.seed-nodes",
            seeds));
  }

  private static <T> T await(String what, Supplier<Optional<T>> probe) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      Optional<T> value = probe.get();
      if (value.isPresent()) {
        return value.get();
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out waiting for " + what);
  }

  private static String get(HttpClient client, Node node, String path) {
    try {
      return client
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path))
                  .header("Authorization", "Bearer admin-token-of-the-spread-test")
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (java.io.IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  @Test
  void aReleaseDeployedOnOneNodeIsInstalledOnTheOtherReportedReadyAndItsRemovalFollows()
      throws Exception {
    Path app = TestApps.app("spreads").wagi("/...", "hello", TestGuests.c("hello")).writeTo(dir);
    try (Node first = Node.start(config(dir.resolve("a"), List.of()))) {
      String seed = Cluster.get(first.system()).selfMember().address().toString();
      try (Node second = Node.start(config(dir.resolve("b"), List.of(seed)))) {
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<String> deployed =
            client.send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + first.adminPort() + "/v1/apps"))
                    .header("Authorization", "Bearer admin-token-of-the-spread-test")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(AppBundle.zipDirectory(app)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, deployed.statusCode(), deployed.body());
        String digest = first.catalog().app("spreads").orElseThrow().digest();

        DeployedApp there =
            await("the release on the second node", () -> second.catalog().app("spreads"));
        assertEquals(digest, there.digest());
        HttpResponse<String> served =
            client.send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + second.publicPort() + "/spreads/"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, served.statusCode(), served.body());

        // The first node's blob server counts what it sent: the module, once.
        int moduleBytes = TestGuests.c("hello").length;
        String status = get(client, first, "/v1/status");
        assertTrue(
            status.contains("\"blobUploads\":{\"uploads\":1,\"bytes\":" + moduleBytes + ","),
            status);
        assertTrue(
            get(client, second, "/v1/status")
                .contains("\"blobUploads\":{\"uploads\":0,\"bytes\":0,"),
            "the second node sent nothing");

        // Rollout as the first node reports it: both members serve the release.
        String firstAddress = Cluster.get(first.system()).selfMember().address().toString();
        String secondAddress = Cluster.get(second.system()).selfMember().address().toString();
        String rollout =
            await(
                "both nodes reported ready",
                () -> {
                  String body = get(client, first, "/v1/apps/spreads");
                  return body.contains("\"" + firstAddress + "\":\"" + digest + "\"")
                          && body.contains("\"" + secondAddress + "\":\"" + digest + "\"")
                      ? Optional.of(body)
                      : Optional.empty();
                });
        assertTrue(rollout.contains("\"rollout\""), rollout);

        HttpResponse<String> removed =
            client.send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + second.adminPort() + "/v1/apps/spreads"))
                    .header("Authorization", "Bearer admin-token-of-the-spread-test")
                    .DELETE()
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(204, removed.statusCode(), removed.body());
        await(
            "the removal on the first node",
            () ->
                first.catalog().app("spreads").isPresent() ? Optional.empty() : Optional.of(true));
      }
    }
  }
}
