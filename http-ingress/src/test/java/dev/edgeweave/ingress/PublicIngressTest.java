package dev.edgeweave.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.edgeweave.sharding.TestApps;
import dev.edgeweave.wasmhost.TestGuests;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PublicIngressTest {

  private static final Config CONFIG =
      ConfigFactory.parseString(
              """
              # Room to read and throw away the largest refused bodies on a busy machine.
              edgeweave.ingress.body-read-timeout = 60s
              edgeweave.apps {
                "small" { limits { max-body-bytes = 1 KiB, max-header-bytes = 2 KiB } }
                "chatty" { limits { max-stdout-bytes = 64 KiB } }
                "slow" { limits { wall-time = 300ms } }
                # Grows page by page to its limit: a small limit keeps that quick on a busy machine.
                "hungry" { limits { max-memory-pages = 32 } }
                "single" {
                  limits { wall-time = 1s, max-concurrency = 1, max-queue = 1, retry-after = 3s }
                }
                # Above Pekko's own defaults for a whole entity (8 MiB).
                "roomy" { limits { max-body-bytes = 8800 KiB, max-stdout-bytes = 8900 KiB } }
              }
              """)
          .withFallback(ConfigFactory.load());

  /** What the "leaky" app logs on stderr before it fails. */
  private static final String SECRET = "hunter2-correct-horse";

  @TempDir static Path dir;
  private static IngressTestKit kit;

  @BeforeAll
  static void start() throws Exception {
    kit = new IngressTestKit("PublicIngressTest", CONFIG, dir);
    kit.deploy(
        TestApps.app("alpha")
            .wagi("/env/...", "env", TestGuests.c("env"), "environment = { WHO = \"alpha\" }"));
    kit.deploy(
        TestApps.app("beta")
            .wagi("/env/...", "env", TestGuests.c("env"), "environment = { WHO = \"beta\" }"));
    kit.deploy(
        TestApps.app("routes")
            .wagi("/...", "hello", TestGuests.c("hello"))
            .wagi("/users/:id/env", "env", TestGuests.c("env"))
            .wagi("/echo", "echo", TestGuests.c("echo"))
            .wagi("/cgi/...", "cgi", TestGuests.c("cgi"))
            .wagi("/trap", "trap", TestGuests.wat("trap")));
    kit.deploy(
        TestApps.app("hungry")
            .wagi("/grow", "grow", TestGuests.wat("grow"))
            .wagi("/...", "hello", TestGuests.c("hello")));
    kit.deploy(TestApps.app("small").wagi("/...", "echo", TestGuests.c("echo")));
    kit.deploy(TestApps.app("chatty").wagi("/...", "bigout", TestGuests.c("bigout")));
    kit.deploy(TestApps.app("slow").wagi("/...", "loop", TestGuests.wat("loop")));
    kit.deploy(TestApps.app("single").wagi("/...", "loop", TestGuests.wat("loop")));
    kit.deploy(TestApps.app("Camel-App").wagi("/...", "hello", TestGuests.c("hello")));
    kit.deploy(TestApps.app("roomy").wagi("/...", "echo", TestGuests.c("echo")));
    kit.deploy(
        TestApps.app("leaky")
            .wagi(
                "/...",
                "secret",
                TestGuests.c("secret"),
                "environment = { SECRET = \"" + SECRET + "\" }"));
  }

  @AfterAll
  static void stop() {
    kit.close();
  }

  private static HttpResponse<String> get(String host, String path) throws Exception {
    return kit.send(kit.request(path).header("Host", host).GET());
  }

  @Test
  void theHealthCheckShouldAnswerOk() throws Exception {
    HttpResponse<String> response = kit.get("/.well-known/spin/health");
    assertEquals(200, response.statusCode());
    assertEquals("OK", response.body().strip());
  }

  @Test
  void twoAppsWithTheSameRoutesShouldNotSeeEachOthersTrafficByHost() throws Exception {
    HttpResponse<String> alpha = get("alpha.localhost:" + kit.port(), "/env/x");
    HttpResponse<String> beta = get("beta.localhost", "/env/x");
    assertEquals(200, alpha.statusCode());
    assertTrue(alpha.body().contains("WHO=alpha"), alpha.body());
    assertTrue(!alpha.body().contains("WHO=beta"), alpha.body());
    assertTrue(beta.body().contains("WHO=beta"), beta.body());
  }

  @Test
  void twoAppsWithTheSameRoutesShouldNotSeeEachOthersTrafficByPathPrefix() throws Exception {
    HttpResponse<String> alpha = kit.get("/alpha/env/x");
    HttpResponse<String> beta = kit.get("/beta/env/x");
    assertTrue(alpha.body().contains("WHO=alpha"), alpha.body());
    assertTrue(beta.body().contains("WHO=beta"), beta.body());
    // Under a path prefix the app's routes sit below it, and the guest is told so.
    assertTrue(alpha.body().contains("X_BASE_PATH=/alpha"), alpha.body());
    assertTrue(alpha.body().contains("SCRIPT_NAME=/alpha/env"), alpha.body());
    assertTrue(alpha.body().contains("PATH_INFO=/x"), alpha.body());
  }

  @Test
  void anAppWhoseNameHasCapitalsShouldBeReachableByItsHostName() throws Exception {
    HttpResponse<String> byHost = get("camel-app.localhost", "/");
    assertEquals(200, byHost.statusCode(), byHost.body());
    HttpResponse<String> byPath = kit.get("/Camel-App/");
    assertEquals(200, byPath.statusCode(), byPath.body());
  }

  @Test
  void aHostNamingAnUnknownAppShouldGet404WithTheReason() throws Exception {
    HttpResponse<String> response = get("nope.localhost", "/env/x");
    assertEquals(404, response.statusCode());
    assertTrue(response.body().contains("no app"), response.body());
  }

  @Test
  void aPathNoRouteMatchesShouldGet404NamingTheApp() throws Exception {
    HttpResponse<String> response = get("alpha.localhost", "/other");
    assertEquals(404, response.statusCode());
    assertTrue(response.body().contains("alpha"), response.body());
  }

  @Test
  void theIngressShouldHandTheGuestTheWagiEnvironment() throws Exception {
    HttpResponse<String> response =
        kit.send(
            kit.request("/users/42/env?a=1&b=2")
                .header("Host", "routes.localhost")
                .header("X-Custom-Thing", "yes")
                .GET());
    String body = response.body();
    assertEquals(200, response.statusCode(), body);
    assertTrue(body.contains("X_PATH_MATCH_ID=42"), body);
    assertTrue(body.contains("QUERY_STRING=a=1&b=2"), body);
    assertTrue(body.contains("HTTP_X_CUSTOM_THING=yes"), body);
    assertTrue(!body.contains("HTTP_TIMEOUT_ACCESS"), body);
    assertTrue(body.contains("REQUEST_METHOD=GET"), body);
    assertTrue(body.contains("X_MATCHED_ROUTE=/users/:id/env"), body);
    assertTrue(body.contains("REMOTE_ADDR=127.0.0.1"), body);
    assertTrue(body.contains("SERVER_NAME=routes.localhost"), body);
    assertTrue(body.contains("X_FULL_URL=http://routes.localhost/users/42/env?a=1&b=2"), body);
  }

  @Test
  void theBodyShouldReachTheGuestOnStdin() throws Exception {
    HttpResponse<String> response =
        kit.send(
            kit.request("/echo")
                .header("Host", "routes.localhost")
                .POST(HttpRequest.BodyPublishers.ofString("ping body")));
    assertEquals(200, response.statusCode());
    assertTrue(response.body().contains("ping body"), response.body());
  }

  @Test
  void aLargeBodyShouldReachTheGuestAndComeBackWhole() throws Exception {
    String body = "0123456789abcdef".repeat(64 * 1024); // 1 MiB
    HttpResponse<String> response =
        kit.send(
            kit.request("/echo")
                .header("Host", "routes.localhost")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    assertEquals(
        200,
        response.statusCode(),
        response.body().substring(0, Math.min(200, response.body().length())));
    assertEquals("POST\n" + body, response.body());
  }

  @Test
  void aBodyOverTheAppsLimitShouldGet413() throws Exception {
    HttpResponse<String> response =
        kit.send(
            kit.request("/")
                .header("Host", "small.localhost")
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(2048))));
    assertEquals(413, response.statusCode());
    assertTrue(response.body().contains("1024"), response.body());
    // The node keeps serving the app afterwards.
    HttpResponse<String> ok =
        kit.send(
            kit.request("/")
                .header("Host", "small.localhost")
                .POST(HttpRequest.BodyPublishers.ofString("fits")));
    assertEquals(200, ok.statusCode());
  }

  /** {@code size} zero bytes, made as they are sent; chunked unless {@code withLength}. */
  private static HttpRequest.BodyPublisher zeros(long size, boolean withLength) {
    HttpRequest.BodyPublisher stream =
        HttpRequest.BodyPublishers.ofInputStream(
            () ->
                new java.io.InputStream() {
                  private long left = size;

                  @Override
                  public int read() {
                    if (left == 0) {
                      return -1;
                    }
                    left--;
                    return 0;
                  }

                  @Override
                  public int read(byte[] b, int off, int len) {
                    if (left == 0) {
                      return -1;
                    }
                    int n = (int) Math.min(len, left);
                    java.util.Arrays.fill(b, off, off + n, (byte) 0);
                    left -= n;
                    return n;
                  }
                });
    return withLength ? HttpRequest.BodyPublishers.fromPublisher(stream, size) : stream;
  }

  @Test
  void aBodyOfAnySizeOverTheAppsLimitShouldGet413WithOrWithoutContentLength() throws Exception {
    for (long size : new long[] {5L << 20, 9L << 20, 64L << 20, 256L << 20}) {
      for (boolean withLength : new boolean[] {true, false}) {
        String what = (size >> 20) + " MiB " + (withLength ? "with Content-Length" : "chunked");
        HttpResponse<String> response =
            kit.send(
                kit.request("/echo")
                    .header("Host", "routes.localhost")
                    .POST(zeros(size, withLength)));
        assertEquals(413, response.statusCode(), what + ": " + response.body());
        assertTrue(response.body().contains("4194304"), what + ": " + response.body());
        // The node, and the same client's connections, keep serving.
        HttpResponse<String> next =
            kit.send(
                kit.request("/echo")
                    .header("Host", "routes.localhost")
                    .POST(HttpRequest.BodyPublishers.ofString("after " + what)));
        assertEquals(200, next.statusCode(), what + ": " + next.body());
        assertTrue(next.body().contains("after " + what), next.body());
      }
    }
  }

  @Test
  void aClientThatWaitsForContinueShouldGet413WithoutSendingItsBody() throws Exception {
    // The JDK's client never gives up waiting for "100 Continue"; speak HTTP/1.1 directly.
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", kit.port())) {
      socket.setSoTimeout(30_000);
      socket
          .getOutputStream()
          .write(
              ("POST /echo HTTP/1.1\r\nHost: routes.localhost\r\nContent-Length: "
                      + (64L << 20)
                      + "\r\nExpect: 100-continue\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      String head = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      assertEquals("HTTP/1.1 413", head);
    }
    assertEquals(200, get("routes.localhost", "/anything").statusCode());
  }

  @Test
  void aBodyThatStopsArrivingShouldGet408AndTheConnectionClosed(@TempDir Path own)
      throws Exception {
    Config quick =
        ConfigFactory.parseString("edgeweave.ingress.body-read-timeout = 1s").withFallback(CONFIG);
    try (IngressTestKit slowKit = new IngressTestKit("PublicIngressTestSlowBody", quick, own);
        java.net.Socket socket = new java.net.Socket("127.0.0.1", slowKit.port())) {
      slowKit.deploy(TestApps.app("routes").wagi("/echo", "echo", TestGuests.c("echo")));
      socket.setSoTimeout(30_000);
      socket
          .getOutputStream()
          .write(
              "POST /echo HTTP/1.1\r\nHost: routes.localhost\r\nContent-Length: 100\r\n\r\nonly ten."
                  .getBytes(StandardCharsets.US_ASCII));
      String response =
          new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertTrue(response.startsWith("HTTP/1.1 408"), response);
      assertTrue(
          response.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), response);
    }
  }

  @Test
  void anAppsBodyLimitAbovePekkosDefaultsShouldBeWhatCounts() throws Exception {
    for (boolean withLength : new boolean[] {true, false}) {
      int size = 8600 * 1024;
      HttpResponse<String> fits =
          kit.send(
              kit.request("/").header("Host", "roomy.localhost").POST(zeros(size, withLength)));
      assertEquals(
          200, fits.statusCode(), fits.body().substring(0, Math.min(200, fits.body().length())));
      assertEquals("POST\n".length() + size, fits.body().length());
      HttpResponse<String> over =
          kit.send(
              kit.request("/").header("Host", "roomy.localhost").POST(zeros(9L << 20, withLength)));
      assertEquals(413, over.statusCode(), over.body());
      assertTrue(over.body().contains(Integer.toString(8800 * 1024)), over.body());
    }
  }

  @Test
  void headersOverTheAppsLimitShouldGet431() throws Exception {
    HttpResponse<String> response =
        kit.send(
            kit.request("/")
                .header("Host", "small.localhost")
                .header("X-Big", "y".repeat(3000))
                .GET());
    assertEquals(431, response.statusCode());
  }

  @Test
  void aGuestThatTrapsShouldGet500SayingSo() throws Exception {
    HttpResponse<String> response = get("routes.localhost", "/trap");
    assertEquals(500, response.statusCode());
    assertTrue(response.body().contains("app 'routes' trapped"), response.body());
  }

  @Test
  void aGuestThatExhaustsMemoryShouldGet500AndTheNodeKeepsServing() throws Exception {
    HttpResponse<String> response = get("hungry.localhost", "/grow");
    assertEquals(500, response.statusCode());
    assertTrue(response.body().contains("exceeded its memory limit"), response.body());
    assertEquals(200, get("hungry.localhost", "/anything").statusCode());
    assertEquals(200, get("routes.localhost", "/anything").statusCode());
  }

  @Test
  void aGuestWritingMoreThanTheAppsOutputLimitShouldGet500() throws Exception {
    assertEquals(200, get("chatty.localhost", "/?32").statusCode());
    HttpResponse<String> response = get("chatty.localhost", "/?128");
    assertEquals(500, response.statusCode());
    assertTrue(response.body().contains("exceeded its output limit"), response.body());
  }

  @Test
  void aGuestThatLoopsShouldGet504AndTheNodeKeepsServing() throws Exception {
    HttpResponse<String> response = get("slow.localhost", "/");
    assertEquals(504, response.statusCode());
    assertTrue(response.body().contains("exceeded its time limit"), response.body());
    assertEquals(200, get("routes.localhost", "/anything").statusCode());
  }

  @Test
  void requestsPastTheAppsConcurrencyLimitShouldQueueAndPastAFullQueueGet503WithRetryAfter()
      throws Exception {
    List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      responses.add(
          kit.client.sendAsync(
              kit.request("/").header("Host", "single.localhost").GET().build(),
              HttpResponse.BodyHandlers.ofString()));
    }
    List<HttpResponse<String>> done = responses.stream().map(CompletableFuture::join).toList();
    // One runs, one waits in the queue's one place and runs after it, one is refused.
    List<HttpResponse<String>> refused = done.stream().filter(r -> r.statusCode() == 503).toList();
    assertEquals(1, refused.size(), done.toString());
    assertEquals("3", refused.get(0).headers().firstValue("Retry-After").orElse(""));
    // The public body names the kind of refusal; why exactly ("its queue is full") is logged.
    assertTrue(refused.get(0).body().contains("concurrency limit"), refused.get(0).body());
    assertTrue(refused.get(0).body().contains("request id: "), refused.get(0).body());
    assertEquals(2, done.stream().filter(r -> r.statusCode() == 504).count(), done.toString());
  }

  @Test
  void anExactRouteShouldBeatTheWildcard() throws Exception {
    HttpResponse<String> hello = get("routes.localhost", "/users/42");
    assertTrue(hello.body().contains("Hello"), hello.body());
    HttpResponse<String> env = get("routes.localhost", "/users/42/env");
    assertTrue(env.body().contains("X_PATH_MATCH_ID=42"), env.body());
  }

  @Test
  void aLocationHeaderShouldRedirectWith302() throws Exception {
    HttpResponse<String> response = get("routes.localhost", "/cgi/?location");
    assertEquals(302, response.statusCode(), response.body());
    assertEquals("/elsewhere", response.headers().firstValue("Location").orElse(""));
  }

  @Test
  void aGuestResponseWithoutCgiHeadersShouldGet500() throws Exception {
    HttpResponse<String> response = get("routes.localhost", "/cgi/?noheaders");
    assertEquals(500, response.statusCode(), response.body());
  }

  @Test
  void aStatusHeaderShouldSetTheStatusAndOtherHeadersPassThrough() throws Exception {
    HttpResponse<String> teapot = get("routes.localhost", "/cgi/?status");
    assertEquals(418, teapot.statusCode(), teapot.body());
    assertEquals("teapot", teapot.body());
    HttpResponse<String> custom = get("routes.localhost", "/cgi/?custom");
    assertEquals(200, custom.statusCode());
    assertEquals("weave", custom.headers().firstValue("X-Edge").orElse(""));
    assertTrue(custom.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
  }

  @Test
  void aGuestThatWritesNothingShouldGet500SayingSo() throws Exception {
    HttpResponse<String> response = get("routes.localhost", "/cgi/?empty");
    assertEquals(500, response.statusCode(), response.body());
    assertTrue(response.body().contains("sent an invalid response"), response.body());
  }

  private static String requestId(HttpResponse<String> response) {
    String id = response.headers().firstValue("x-request-id").orElse("");
    assertTrue(id.matches("[0-9a-f]{16}"), "request id '" + id + "'");
    return id;
  }

  @Test
  void aFailingGuestsStderrShouldReachTheLogUnderTheRequestIdButNeverTheClient() throws Exception {
    ch.qos.logback.classic.Logger logger =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(PublicIngress.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    try {
      for (String way : List.of("trap", "exit")) {
        HttpResponse<String> response = get("leaky.localhost", "/?" + way);
        assertEquals(500, response.statusCode(), response.body());
        assertTrue(!response.body().contains(SECRET), way + ": " + response.body());
        assertTrue(!response.body().contains("stderr"), way + ": " + response.body());
        String kind = way.equals("trap") ? "trapped" : "exited with a non-zero exit code";
        assertTrue(response.body().contains("app 'leaky' " + kind), response.body());
        String id = requestId(response);
        assertTrue(response.body().contains("request id: " + id), response.body());
        List<String> lines =
            logged.list.stream()
                .map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains(id))
                .toList();
        assertEquals(1, lines.size(), logged.list.toString());
        assertTrue(lines.get(0).contains(SECRET), lines.get(0));
        assertTrue(lines.get(0).contains("leaky"), lines.get(0));
      }
    } finally {
      logger.detachAppender(logged);
    }
  }

  @Test
  void everyResponseShouldCarryItsOwnRequestId() throws Exception {
    HttpResponse<String> ok = get("routes.localhost", "/anything");
    HttpResponse<String> again = get("routes.localhost", "/anything");
    HttpResponse<String> notFound = get("nope.localhost", "/");
    HttpResponse<String> health = kit.get("/.well-known/spin/health");
    assertEquals(
        4,
        java.util.Set.of(requestId(ok), requestId(again), requestId(notFound), requestId(health))
            .size());
    assertTrue(notFound.body().contains("request id: " + requestId(notFound)), notFound.body());
  }

  @Test
  void withErrorDetailsExposedTheBodyShouldCarryTheDetails(@TempDir Path own) throws Exception {
    Config exposing =
        ConfigFactory.parseString("edgeweave.ingress.expose-error-details = on")
            .withFallback(CONFIG);
    try (IngressTestKit local = new IngressTestKit("PublicIngressTestExposing", exposing, own)) {
      local.deploy(
          TestApps.app("leaky")
              .wagi(
                  "/...",
                  "secret",
                  TestGuests.c("secret"),
                  "environment = { SECRET = \"" + SECRET + "\" }"));
      HttpResponse<String> response =
          local.send(local.request("/?exit").header("Host", "leaky.localhost").GET());
      assertEquals(500, response.statusCode());
      assertTrue(response.body().contains("exited with code 3"), response.body());
      assertTrue(response.body().contains(SECRET), response.body());
      assertTrue(response.body().contains("request id: " + requestId(response)), response.body());
    }
  }
}
