package dev.edgeweave.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault-injection admin route: with the flag on, a node blackholes a peer (Artery's test mode)
 * until told to heal, and both sides' status shows it; with the flag off the route does not exist.
 */
class FaultInjectionTest {

  /** Bounds "eventually" only: the cross-location failure detector notices within ~15 s. */
  private static final Duration DETECTION_BOUND = Duration.ofSeconds(60);

  @TempDir Path dir;

  private final HttpClient client = HttpClient.newHttpClient();

  private Config config(Path data, String location, List<String> seeds, boolean faults) {
    Map<String, Object> settings = new HashMap<>();
    settings.put("edgeweave.node.data-dir", data.toString());
    settings.put("edgeweave.ingress.port", 0);
    settings.put("edgeweave.admin.port", 0);
    settings.put("pekko.remote.artery.canonical.port", 0);
    settings.put("pekko.cluster.seed-nodes", seeds);
    settings.put("pekko.cluster.multi-data-center.self-data-center", location);
    settings.put(FaultInjection.FLAG, faults);
    return ConfigFactory.parseMap(settings);
  }

  @Test
  void aBlackholedPeerBecomesUnreachableAndHealingMakesItReachableAgain() throws Exception {
    try (Node first = Node.start(config(dir.resolve("a"), "a", List.of(), true))) {
      String firstAddress = Cluster.get(first.system()).selfMember().address().toString();
      try (Node second = Node.start(config(dir.resolve("b"), "b", List.of(firstAddress), true))) {
        String secondAddress = Cluster.get(second.system()).selfMember().address().toString();
        awaitStatus(
            first,
            "both locations up",
            s -> s.contains("\"unreachableLocations\":[]") && count(s, "\"status\":\"Up\"") == 2);
        awaitStatus(
            second,
            "both locations up",
            s -> s.contains("\"unreachableLocations\":[]") && count(s, "\"status\":\"Up\"") == 2);

        // Only the first node blackholes; both directions, so each side loses the other.
        String hostPort = secondAddress.substring(secondAddress.indexOf('@') + 1);
        HttpResponse<String> cut = admin(first, "POST", hostPort + "\n", true);
        assertEquals(200, cut.statusCode(), cut.body());
        assertEquals(secondAddress, cut.body());
        awaitStatus(first, "b unreachable", s -> s.contains("\"unreachableLocations\":[\"b\"]"));
        awaitStatus(second, "a unreachable", s -> s.contains("\"unreachableLocations\":[\"a\"]"));

        HttpResponse<String> heal = admin(first, "DELETE", "", true);
        assertEquals(200, heal.statusCode(), heal.body());
        assertEquals("", heal.body());
        awaitStatus(first, "b reachable again", s -> s.contains("\"unreachableLocations\":[]"));
        awaitStatus(second, "a reachable again", s -> s.contains("\"unreachableLocations\":[]"));
      }
    }
  }

  @Test
  void theRouteRefusesWhatIsNotAPeerAddressAndRequiresTheToken() throws Exception {
    try (Node node = Node.start(config(dir.resolve("a"), "a", List.of(), true))) {
      HttpResponse<String> garbage = admin(node, "POST", "not-an-address\n", true);
      assertEquals(400, garbage.statusCode(), garbage.body());
      assertTrue(garbage.body().contains("'not-an-address'"), garbage.body());
      assertEquals(400, admin(node, "POST", "\n", true).statusCode());
      assertEquals(401, admin(node, "POST", "127.0.0.1:1\n", false).statusCode());
      assertEquals(405, admin(node, "PUT", "127.0.0.1:1\n", true).statusCode());
    }
  }

  @Test
  void withTheFlagOffTheRouteDoesNotExist() throws Exception {
    try (Node node = Node.start(config(dir.resolve("a"), "a", List.of(), false))) {
      HttpResponse<String> post = admin(node, "POST", "127.0.0.1:25520\n", true);
      assertEquals(404, post.statusCode(), post.body());
      assertEquals(404, admin(node, "DELETE", "", true).statusCode());
      assertEquals(
          false,
          node.system().settings().config().getBoolean(NodeConfig.ARTERY_TEST_MODE),
          "Artery's test mode stays off");
    }
  }

  private HttpResponse<String> admin(Node node, String method, String body, boolean token)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + node.adminPort() + FaultInjection.PATH))
            .timeout(Duration.ofSeconds(30))
            .method(method, HttpRequest.BodyPublishers.ofString(body));
    if (token) {
      request.header("Authorization", "Bearer " + node.adminToken());
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void awaitStatus(Node node, String what, java.util.function.Predicate<String> condition)
      throws Exception {
    long deadline = System.nanoTime() + DETECTION_BOUND.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      HttpResponse<String> status =
          client.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + node.adminPort() + "/v1/status"))
                  .header("Authorization", "Bearer " + node.adminToken())
                  .timeout(Duration.ofSeconds(10))
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      last = status.body();
      if (status.statusCode() == 200 && condition.test(last)) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(what + ": not within " + DETECTION_BOUND + "; last status " + last);
  }

  private static int count(String s, String part) {
    int n = 0;
    for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }
}
