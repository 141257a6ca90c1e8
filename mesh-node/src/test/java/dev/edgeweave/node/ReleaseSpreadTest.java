package dev.edgeweave.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.sharding.TestApps;
import dev.edgeweave.wasmhost.TestGuests;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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

  private static HttpResponse<String> post(HttpClient client, Node node, String path) {
    try {
      return client.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path))
              .header("Authorization", "Bearer admin-token-of-the-spread-test")
              .POST(HttpRequest.BodyPublishers.noBody())
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static Path release(Path dir, String app, String tag) {
    return TestApps.app(app)
        .wagi("/...", "env", TestGuests.c("env"), "environment = { RELEASE = \"" + tag + "\" }")
        .writeTo(dir.resolve(tag));
  }

  private static String digestOn(Node node, String app) {
    return node.catalog().app(app).map(DeployedApp::digest).orElse("");
  }

  @Test
  void
      directoryDeploysSpreadNewAppsOnlyAndARollbackAtTheOtherNodeReturnsBothToThePreviousReleaseOnce()
          throws Exception {
    Path v1 = release(dir, "rolls", "v1");
    Path v2 = release(dir, "rolls", "v2");
    Path once = release(dir.resolve("once"), "once", "v1");
    try (Node first = Node.start(config(dir.resolve("a"), List.of()))) {
      String seed = Cluster.get(first.system()).selfMember().address().toString();
      try (Node second = Node.start(config(dir.resolve("b"), List.of(seed)))) {
        HttpClient client = HttpClient.newHttpClient();
        // What `weave up DIR` does on the first node spreads like a deploy through the admin API.
        String d1 = first.deployDirectory(v1).digest();
        await("v1 on the second node", () -> ok(digestOn(second, "rolls").equals(d1)));
        HttpResponse<String> deployed =
            client.send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + first.adminPort() + "/v1/apps"))
                    .header("Authorization", "Bearer admin-token-of-the-spread-test")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(AppBundle.zipDirectory(v2)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, deployed.statusCode(), deployed.body());
        String d2 = first.catalog().app("rolls").orElseThrow().digest();
        await("v2 on the second node", () -> ok(digestOn(second, "rolls").equals(d2)));
        // A directory deploy of an app the cluster already has does not replace the cluster's
        // release (a node restarted with an old directory rolls nothing back): the node follows.
        second.deployDirectory(v1);
        await("the second node back on v2", () -> ok(digestOn(second, "rolls").equals(d2)));
        assertEquals(d2, digestOn(first, "rolls"));
        first.deployDirectory(once);
        await("once on the second node", () -> ok(second.catalog().app("once").isPresent()));
        await(
            "the second node reporting both nodes ready with v2",
            () ->
                ok(
                    get(client, second, "/v1/apps/rolls")
                        .contains("\"summary\":\"ready on 2/2 nodes, 1/1 location\"")));

        String[] auth = {
          "--to",
          "http://127.0.0.1:" + second.adminPort(),
          "--token",
          "admin-token-of-the-spread-test"
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertEquals(0, Weave.run(concat(new String[] {"apps"}, auth), o, e), err.toString());
        assertTrue(
            out.toString(StandardCharsets.UTF_8)
                .matches("(?s).*rolls +" + d2.substring(0, 12) + " +ready on 2/2 nodes.*"),
            out.toString(StandardCharsets.UTF_8));

        // Rolled back at the second node: it answers once it serves v1, the first follows.
        assertEquals(
            0, Weave.run(concat(new String[] {"rollback", "rolls"}, auth), o, e), err.toString());
        assertTrue(
            out.toString(StandardCharsets.UTF_8).contains("rolled back from release " + d2),
            out.toString(StandardCharsets.UTF_8));
        assertEquals(d1, digestOn(second, "rolls"));
        await("v1 again on the first node", () -> ok(digestOn(first, "rolls").equals(d1)));
        HttpResponse<String> served =
            client.send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + first.publicPort() + "/rolls/"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertTrue(served.body().contains("RELEASE=v1"), served.body());

        // A second rollback, at either node, has nothing to return to; nor has a first release.
        await(
            "the first node knowing of the rollback",
            () -> ok(post(client, first, "/v1/apps/rolls/rollback").statusCode() == 409));
        HttpResponse<String> again = post(client, second, "/v1/apps/rolls/rollback");
        assertEquals(409, again.statusCode(), again.body());
        assertTrue(again.body().contains("already rolled back"), again.body());
        HttpResponse<String> first1 = post(client, second, "/v1/apps/once/rollback");
        assertEquals(409, first1.statusCode(), first1.body());
        assertTrue(first1.body().contains("no previous release"), first1.body());
        assertEquals(404, post(client, second, "/v1/apps/nothing-here/rollback").statusCode());
        assertEquals(1, Weave.run(concat(new String[] {"rollback", "rolls"}, auth), o, e));
        assertEquals(d1, digestOn(first, "rolls"));
        assertEquals(d1, digestOn(second, "rolls"));
      }
    }
  }

  private static Optional<Boolean> ok(boolean condition) {
    return condition ? Optional.of(true) : Optional.empty();
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
