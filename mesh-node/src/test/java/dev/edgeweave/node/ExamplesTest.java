package dev.edgeweave.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.deploy.HttpTrigger;
import dev.edgeweave.kv.ReplicatedKvService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the README's first command serves: every example app, every route, through a node. */
class ExamplesTest {

  private static final Path EXAMPLES = Path.of("..", "examples");

  @TempDir Path dir;

  /** Apps written by a test, outside the node's data directory. */
  @TempDir Path apps;

  @Test
  void everyRouteOfEveryExampleShouldAnswer() throws Exception {
    List<Path> apps = Weave.appDirs(EXAMPLES);
    assertFalse(apps.isEmpty());
    HttpClient client = HttpClient.newHttpClient();
    try (Node node = startNode()) {
      for (Path appDir : apps) {
        DeployedApp app = node.deployDirectory(appDir);
        for (HttpTrigger trigger : app.manifest().triggers()) {
          String path = concrete(trigger.route());
          HttpResponse<String> response =
              client.send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.publicPort() + path))
                      .header("Host", app.name() + ".localhost")
                      .timeout(Duration.ofSeconds(30))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          assertEquals(
              200, response.statusCode(), app.name() + " " + path + ": " + response.body());
          assertFalse(response.body().isBlank(), app.name() + " " + path);
        }
      }
    }
  }

  @Test
  void theTemplateInterpreterShouldRenderPagesFromItsMountedFiles() throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    try (Node node = startNode()) {
      node.deployDirectory(EXAMPLES.resolve("templates-c"));
      String base = "http://127.0.0.1:" + node.publicPort() + "/templates-c/pages/";
      HttpResponse<String> about =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "about.html")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, about.statusCode(), about.body());
      assertTrue(about.body().contains("About Edgeweave"), about.body());
      HttpResponse<String> missing =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "missing.html")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(404, missing.statusCode(), missing.body());
    }
  }

  @Test
  void theVisitCounterShouldCountEveryVisitOnceAndKeepEachAppsCountApart() throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    // The same counter deployed as a second app, with its own store of the same label.
    Path other = apps.resolve("other-counter");
    Files.createDirectories(other);
    Path example = EXAMPLES.resolve("kv-counter-c");
    Files.copy(example.resolve("main.wasm"), other.resolve("main.wasm"));
    Files.writeString(
        other.resolve("spin.toml"),
        Files.readString(example.resolve("spin.toml"))
            .replace("name = \"kv-counter-c\"", "name = \"other-counter\""));
    try (Node node = startNode()) {
      node.deployDirectory(example);
      node.deployDirectory(other);
      assertEquals("visits: 1\n", count(client, node, "kv-counter-c", null));
      assertEquals("visits: 2\n", count(client, node, "kv-counter-c", "req-1"));
      // A retry of the same request counts once.
      assertEquals("visits: 2\n", count(client, node, "kv-counter-c", "req-1"));
      assertEquals("visits: 3\n", count(client, node, "kv-counter-c", "req-2"));
      assertEquals("visits: 1\n", count(client, node, "other-counter", null));
      assertEquals("visits: 4\n", count(client, node, "kv-counter-c", null));
    }
  }

  @Test
  void theWatGreetingShouldBeStoredByTheFirstRequestAndReadByTheNext() throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    try (Node node = startNode()) {
      node.deployDirectory(EXAMPLES.resolve("kv-wat"));
      HttpRequest request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.publicPort() + "/greeting"))
              .header("Host", "kv-wat.localhost")
              .build();
      for (int i = 0; i < 2; i++) {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        assertEquals("hello from the key-value store\n", response.body());
      }
      // The guest wrote the node's replicated store, under its own app.
      assertEquals(
          "hello from the key-value store\n",
          new String(
              ReplicatedKvService.get(node.system())
                  .open("kv-wat", "default")
                  .get("greeting")
                  .toCompletableFuture()
                  .join()
                  .orElseThrow(),
              java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  private static String count(HttpClient client, Node node, String app, String requestId)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.publicPort() + "/count"))
            .header("Host", app + ".localhost")
            .timeout(Duration.ofSeconds(30));
    if (requestId != null) {
      request.header("X-Request-Id", requestId);
    }
    HttpResponse<String> response =
        client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return response.body();
  }

  private Node startNode() {
    return Node.start(
        ConfigFactory.parseMap(
            Map.of(
                "edgeweave.node.data-dir", dir.toString(),
                "edgeweave.ingress.port", 0,
                "edgeweave.admin.port", 0)));
  }

  /** A path the route matches: named segments filled in, a wildcard given its bare prefix. */
  private static String concrete(String route) {
    String path = route.replaceAll(":[A-Za-z0-9_]+", "x1");
    if (path.endsWith("/...")) {
      path = path.substring(0, path.length() - 4) + "/";
    }
    return path;
  }
}
