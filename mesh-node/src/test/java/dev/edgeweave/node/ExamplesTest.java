package dev.edgeweave.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.deploy.HttpTrigger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
