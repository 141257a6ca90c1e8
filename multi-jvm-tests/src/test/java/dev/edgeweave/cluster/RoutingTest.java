package dev.edgeweave.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgeweave.sharding.TestApps;
import dev.edgeweave.wasmhost.TestGuests;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a request runs, in a 2×2 cluster without a spread secret: a node then pulls no blobs, so an
 * app is ready only on the nodes it was deployed to, while every node learns of the release by
 * gossip. A request arriving in a location where the app is not ready is forwarded to one where it
 * is, and says so; in a location catching up, the ready node serves its own requests. The guest
 * prints its environment, so the answer tells which node ran it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RoutingTest {

  private static final String APP = "where";
  private static final Duration GOSSIP_TIMEOUT = Duration.ofSeconds(30);

  @RegisterExtension
  static final WeaveCluster cluster =
      WeaveCluster.named("routing")
          .location("eu", 2)
          .location("us", 2)
          // Starting four JVMs on two busy cores can take longer than the default 10 s.
          .setting("edgeweave.node.bind-timeout", "60s")
          .build();

  @TempDir static Path apps;

  private static final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static Path app;

  @BeforeAll
  static void start() {
    cluster.startAll();
    cluster.awaitClusterUp(4);
    app = TestApps.app(APP).wagi("/...", "env", TestGuests.c("env")).writeTo(apps);
  }

  /** An answer with the one header this test reads and the guest's environment. */
  record Answer(int status, Optional<String> forwardedTo, Map<String, String> env, String body) {}

  private static Answer send(WeaveNode node, String method) throws IOException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + "/"))
            .header("Host", APP + ".localhost")
            .timeout(Duration.ofSeconds(30))
            .method(method, HttpRequest.BodyPublishers.ofString(method.equals("GET") ? "" : "x"))
            .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : response.body().split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        env.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return new Answer(
        response.statusCode(),
        response.headers().firstValue("x-weave-forwarded-to"),
        env,
        response.body());
  }

  /** The name a node gives itself by default: its cluster address without the system name. */
  private static String nodeName(WeaveNode node) {
    return "127.0.0.1:" + node.remotePort();
  }

  @Test
  @Order(1)
  void aRequestArrivingWhereTheAppIsNotReadyIsForwardedToALocationThatHasIt() throws Exception {
    cluster.deploy(cluster.node("eu-1"), app);
    cluster.deploy(cluster.node("eu-2"), app);
    WeaveNode usOne = cluster.node("us-1");
    WeaveCluster.await(
        "us-1 answering " + APP + " once it learnt of the release",
        GOSSIP_TIMEOUT,
        () -> {
          try {
            return send(usOne, "GET").status() == 200;
          } catch (IOException e) {
            return false;
          }
        });
    Set<String> euNodes = Set.of(nodeName(cluster.node("eu-1")), nodeName(cluster.node("eu-2")));
    for (WeaveNode node : cluster.location("us")) {
      assertEquals(0, cluster.status(node).apps(), node + " installed the app: us is ready");
      for (String method : new String[] {"GET", "POST"}) {
        Answer answer = send(node, method);
        assertEquals(200, answer.status(), node + " " + method + ": " + answer.body());
        assertEquals(Optional.of("eu"), answer.forwardedTo(), node + " " + method);
        assertEquals("eu", answer.env().get("X_WEAVE_LOCATION"), answer.body());
        assertTrue(euNodes.contains(answer.env().get("X_WEAVE_NODE")), answer.body());
        assertEquals(method, answer.env().get("REQUEST_METHOD"));
      }
    }
    for (WeaveNode node : cluster.location("eu")) {
      Answer answer = send(node, "GET");
      assertEquals(200, answer.status(), node + ": " + answer.body());
      assertEquals(Optional.empty(), answer.forwardedTo(), node.toString());
      assertEquals("eu", answer.env().get("X_WEAVE_LOCATION"), answer.body());
      assertTrue(euNodes.contains(answer.env().get("X_WEAVE_NODE")), answer.body());
    }
  }

  @Test
  @Order(2)
  void inALocationCatchingUpTheReadyNodeServesItselfAndTheOtherStillGetsAnswers() throws Exception {
    WeaveNode usOne = cluster.node("us-1");
    WeaveNode usTwo = cluster.node("us-2");
    cluster.deploy(usOne, app);
    WeaveCluster.await(
        "us-1 serving " + APP + " itself",
        GOSSIP_TIMEOUT,
        () -> {
          try {
            Answer a = send(usOne, "GET");
            return a.status() == 200 && a.forwardedTo().isEmpty();
          } catch (IOException e) {
            return false;
          }
        });
    for (int i = 0; i < 10; i++) {
      Answer own = send(usOne, "GET");
      assertEquals(200, own.status(), own.body());
      assertEquals(Optional.empty(), own.forwardedTo());
      // us-2 is not ready, so us-1 runs its requests itself rather than at an entity there.
      assertEquals(nodeName(usOne), own.env().get("X_WEAVE_NODE"), own.body());
      assertEquals("us", own.env().get("X_WEAVE_LOCATION"), own.body());

      Answer other = send(usTwo, "GET");
      assertEquals(200, other.status(), other.body());
      // Served in us by us-1's entity, or, when us's entity sits on us-2, in eu: the header says.
      String location = other.env().get("X_WEAVE_LOCATION");
      assertEquals(
          location.equals("us") ? Optional.empty() : Optional.of(location),
          other.forwardedTo(),
          other.body());
      assertTrue(
          !location.equals("us") || other.env().get("X_WEAVE_NODE").equals(nodeName(usOne)),
          other.body());
    }
    assertEquals(0, cluster.status(usTwo).apps(), "us-2 cannot pull blobs, so it is not ready");
  }
}
