package dev.edgeweave.wasmhost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Outbound HTTP as a C guest sees it through weave.h, against HTTP servers on loopback started by
 * the test: what the allow-list lets through and what it stops before any connection, the node's
 * own ports, the timeout and the size and count limits.
 */
class OutboundHttpTest {
  private final GuestBlockingTest.Recorder recorder = new GuestBlockingTest.Recorder();
  private final WasmEngine engine = WasmEngine.create(EngineConfig.defaults(), recorder);
  private final CountDownLatch release = new CountDownLatch(1);
  private final ExecutorService serverThreads = Executors.newCachedThreadPool();
  private TestServer server;
  private TestServer other;
  private OutboundHttpClient client;

  /** A loopback server that counts the requests it sees. */
  private final class TestServer {
    final HttpServer http;
    final AtomicInteger requests = new AtomicInteger();

    TestServer() throws IOException {
      http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      http.setExecutor(serverThreads);
      http.createContext("/", this::handle);
      http.start();
    }

    int port() {
      return http.getAddress().getPort();
    }

    String url(String path) {
      return "http://127.0.0.1:" + port() + path;
    }

    private void handle(HttpExchange exchange) throws IOException {
      requests.incrementAndGet();
      byte[] received = exchange.getRequestBody().readAllBytes();
      String path = exchange.getRequestURI().getPath();
      byte[] answer;
      switch (path) {
        case "/slow" -> {
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          answer = "late".getBytes(UTF_8);
        }
        case "/big" -> answer = new byte[100_000];
        case "/redirect" -> {
          exchange.getResponseHeaders().add("Location", other.url("/"));
          exchange.sendResponseHeaders(302, -1);
          exchange.close();
          return;
        }
        default ->
            answer = ("got " + exchange.getRequestMethod() + " " + received.length).getBytes(UTF_8);
      }
      String guestHeader = exchange.getRequestHeaders().getFirst("x-guest");
      exchange.getResponseHeaders().add("x-echo", guestHeader == null ? "none" : guestHeader);
      // /big is sent chunked, without a length, so only counting the bytes can stop it.
      exchange.sendResponseHeaders(200, path.equals("/big") ? 0 : answer.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer);
      }
    }
  }

  @BeforeEach
  void start() throws IOException {
    server = new TestServer();
    other = new TestServer();
    client = OutboundHttpClient.create(OutboundConfig.defaults());
  }

  @AfterEach
  void stop() {
    release.countDown();
    server.http.stop(0);
    other.http.stop(0);
    client.close();
    engine.close();
    serverThreads.shutdownNow();
  }

  private GuestFunction guest(
      OutboundHttpClient client, HostAllowList allowed, OutboundLimits limits, Limits guestLimits)
      throws Exception {
    return guest(client.forComponent("caller", allowed, limits, false), guestLimits);
  }

  private GuestFunction guest(OutboundHttp outbound, Limits guestLimits) throws Exception {
    return engine.prepare(
        TestGuests.c("weave-http"),
        ComponentSpec.builder("caller")
            .withCapabilities(Capabilities.NONE.withOutbound(outbound))
            .withLimits(guestLimits)
            .build());
  }

  private GuestFunction guest(HostAllowList allowed, OutboundLimits limits) throws Exception {
    return guest(client, allowed, limits, Limits.defaults());
  }

  private HostAllowList only(TestServer s) {
    return (scheme, host, port) ->
        scheme.equals("http") && host.equals("127.0.0.1") && port == s.port();
  }

  private static String call(GuestFunction fn, String line) throws GuestException {
    return new String(
        fn.invoke(GuestRequest.builder().method("POST").body(line.getBytes(UTF_8)).build()).body(),
        UTF_8);
  }

  @Test
  void aGuestCallsAnAllowedHostAndReadsStatusHeadersAndBody() throws Exception {
    GuestFunction fn = guest(only(server), OutboundLimits.defaults());

    assertEquals(
        "status 0 http 200 sent 1 header hello body got POST 5",
        call(fn, "POST " + server.url("/echo") + " 5 1"));
    assertEquals(1, server.requests.get());
    String me = Thread.currentThread().getName();
    assertEquals(List.of("before on " + me, "after on " + me), recorder.events);
  }

  @Test
  void aHostTheComponentDidNotDeclareIsDeniedWithoutAConnection() throws Exception {
    GuestFunction fn = guest(only(other), OutboundLimits.defaults());

    assertEquals("status 9 sent 0", call(fn, "GET " + server.url("/") + " 0 1"));
    assertEquals("status 9 sent 0", call(fn, "GET http://localhost:" + other.port() + "/ 0 1"));
    assertEquals(0, server.requests.get());
    assertEquals(0, other.requests.get());
    assertEquals(List.of(), recorder.events);
    OutboundFailure e =
        assertThrows(
            OutboundFailure.class,
            () ->
                client
                    .forComponent("caller", only(other), OutboundLimits.defaults(), false)
                    .permit(URI.create(server.url("/x"))));
    assertEquals(
        "component 'caller' may not reach http://127.0.0.1:"
            + server.port()
            + " (add it to allowed_outbound_hosts in spin.toml)",
        e.getMessage());
    assertEquals(
        "status 9 sent 0",
        call(guest(OutboundHttp.NONE, Limits.defaults()), "GET " + server.url("/") + " 0 1"));
  }

  @Test
  void redirectsAreNotFollowedSoTheyReachNoOtherHost() throws Exception {
    GuestFunction fn = guest(only(server), OutboundLimits.defaults());

    assertEquals(
        "status 0 http 302 sent 1 header - body ",
        call(fn, "GET " + server.url("/redirect") + " 0 1"));
    assertEquals(0, other.requests.get());
  }

  @Test
  void theNodesOwnPortsAreDeniedWhateverTheAllowListSays() throws Exception {
    HostAllowList everything = (scheme, host, port) -> true;
    try (OutboundHttpClient node =
        OutboundHttpClient.create(
            OutboundConfig.defaults()
                .withNodePorts(Map.of(server.port(), "admin API"))
                .withIngressPort(other.port()))) {
      GuestFunction fn = guest(node, everything, OutboundLimits.defaults(), Limits.defaults());
      assertEquals("status 9 sent 0", call(fn, "GET " + server.url("/") + " 0 1"));
      assertEquals("status 9 sent 0", call(fn, "GET http://localhost:" + server.port() + "/ 0 1"));
      assertEquals("status 9 sent 0", call(fn, "GET " + other.url("/") + " 0 1"));
      assertEquals(0, server.requests.get());
      assertEquals(0, other.requests.get());

      // The public port, for an app the node lets call it.
      GuestFunction allowed =
          guest(
              node.forComponent("caller", everything, OutboundLimits.defaults(), true),
              Limits.defaults());
      assertEquals(
          "status 0 http 200 sent 1 header hello body got GET 0",
          call(allowed, "GET " + other.url("/") + " 0 1"));
      assertEquals("status 9 sent 0", call(allowed, "GET " + server.url("/") + " 0 1"));
      assertEquals(0, server.requests.get());
    }
  }

  @Test
  void aResponseSlowerThanTheTimeoutEndsTheCallWithATimeoutStatus() throws Exception {
    GuestFunction fn =
        guest(only(server), OutboundLimits.defaults().withTimeout(Duration.ofMillis(200)));

    assertEquals("status 32 sent 0", call(fn, "GET " + server.url("/slow") + " 0 1"));
    assertTrue(client.inFlight() == 0 || waitForNoneInFlight(client));
  }

  @Test
  void aCallStillWaitingAtTheWallTimeEndsTheGuestWithATimeout() throws Exception {
    GuestFunction fn =
        guest(
            client,
            only(server),
            OutboundLimits.defaults(),
            Limits.defaults().withWallTime(Duration.ofMillis(300)));

    GuestException e =
        assertThrows(GuestException.class, () -> call(fn, "GET " + server.url("/slow") + " 0 1"));
    assertEquals(GuestException.Kind.TIMEOUT, e.kind());
    assertTrue(waitForNoneInFlight(client), "the abandoned request still holds its place");
  }

  @Test
  void aRequestBodyOverTheLimitIsRefusedBeforeAnythingIsSent() throws Exception {
    GuestFunction fn = guest(only(server), OutboundLimits.defaults().withMaxRequestBytes(1000));

    assertEquals("status 33 sent 0", call(fn, "POST " + server.url("/") + " 1001 1"));
    assertEquals(0, server.requests.get());
    assertEquals(
        "status 0 http 200 sent 1 header hello body got POST 1000",
        call(fn, "POST " + server.url("/") + " 1000 1"));
  }

  @Test
  void aResponseOverTheLimitFailsWithoutBeingKept() throws Exception {
    GuestFunction fn = guest(only(server), OutboundLimits.defaults().withMaxResponseBytes(10_000));

    assertEquals("status 34 sent 0", call(fn, "GET " + server.url("/big") + " 0 1"));
    assertEquals(
        "status 0 http 200 sent 1 header hello body got GET 0",
        call(fn, "GET " + server.url("/") + " 0 1"));
  }

  @Test
  void anInvocationSendsNoMoreRequestsThanItsLimit() throws Exception {
    GuestFunction fn = guest(only(server), OutboundLimits.defaults().withMaxRequests(2));

    assertEquals("status 35 sent 2", call(fn, "GET " + server.url("/") + " 0 3"));
    assertEquals(2, server.requests.get());
    // The count is per invocation.
    assertEquals(
        "status 0 http 200 sent 2 header hello body got GET 0",
        call(fn, "GET " + server.url("/") + " 0 2"));
  }

  @Test
  void theNodeBoundsTheRequestsInFlightAcrossGuests() throws Exception {
    try (OutboundHttpClient node =
        OutboundHttpClient.create(OutboundConfig.defaults().withMaxConcurrentRequests(1))) {
      OutboundHttp http =
          node.forComponent("caller", only(server), OutboundLimits.defaults(), false);
      CompletionStage<OutboundResponse> slow =
          http.send(
              new OutboundRequest("GET", URI.create(server.url("/slow")), List.of(), new byte[0]));
      GuestFunction fn = guest(http, Limits.defaults());

      assertEquals("status 36 sent 0", call(fn, "GET " + server.url("/") + " 0 1"));
      release.countDown();
      assertEquals(200, slow.toCompletableFuture().get(10, TimeUnit.SECONDS).status());
      assertTrue(waitForNoneInFlight(node));
      assertEquals(
          "status 0 http 200 sent 1 header hello body got GET 0",
          call(fn, "GET " + server.url("/") + " 0 1"));
    }
  }

  @Test
  void urlsMethodsAndHeadersThatAreNotHttpAreInvalidArguments() throws Exception {
    GuestFunction fn = guest((scheme, host, port) -> true, OutboundLimits.defaults());

    assertEquals("status 4 sent 0", call(fn, "GET ftp://127.0.0.1/ 0 1"));
    assertEquals("status 4 sent 0", call(fn, "GET /relative 0 1"));
    assertEquals("status 4 sent 0", call(fn, "G(T " + server.url("/") + " 0 1"));
    assertEquals(
        "status 4 sent 0", call(fn, "GET http://user@127.0.0.1:" + server.port() + "/ 0 1"));
    assertEquals(0, server.requests.get());
  }

  /** The in-flight count drops when the exchange's future completes, just after the guest's. */
  private static boolean waitForNoneInFlight(OutboundHttpClient client)
      throws InterruptedException {
    for (int i = 0; i < 500 && client.inFlight() > 0; i++) {
      Thread.sleep(10);
    }
    return client.inFlight() == 0;
  }
}
