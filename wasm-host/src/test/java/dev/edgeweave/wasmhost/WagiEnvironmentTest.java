package dev.edgeweave.wasmhost;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The CGI environment and argv a WAGI guest sees, as Spin's WAGI executor sets them. */
class WagiEnvironmentTest {
  private static WasmEngine engine;
  private static GuestFunction env;
  private static Printed printed;

  /** What the env guest printed: its environment and its argv. */
  record Printed(Map<String, String> environment, List<String> argv) {}

  @BeforeAll
  static void invokeOnce() throws Exception {
    engine = WasmEngine.create(EngineConfig.defaults());
    env =
        engine.prepare(
            TestGuests.c("env"),
            ComponentSpec.builder("env-component")
                .withEnv("GREETING", "hello from the manifest")
                .withEnv("REQUEST_METHOD", "spoofed by the manifest")
                .build());
    printed = run(env, fullRequest().build());
  }

  @AfterAll
  static void closeEngine() {
    engine.close();
  }

  static GuestRequest.Builder fullRequest() {
    return GuestRequest.builder()
        .method("POST")
        .fullUrl("https://example.com:8443/users/42/pro%20file?name=ada&lang=en")
        .path("/users/42/pro%20file")
        .query("name=ada&lang=en")
        .header("Host", "example.com:8443")
        .header("Content-Type", "application/json")
        .header("X-Custom-Header", "yes")
        .header("User-Agent", "edgeweave-test")
        .header("Authorization", "Bearer top-secret")
        .header("Connection", "keep-alive")
        .body("{\"a\":1}".getBytes(UTF_8))
        .clientAddr("10.1.2.3:5555")
        .serverName("example.com")
        .serverPort(8443)
        .servedBy(new NodeIdentity("eu-west", "edge-7"))
        .route(
            new RouteInfo(
                "/users/:id/...",
                "/users/:id",
                "/users/:id/...",
                "/",
                "/pro%20file",
                "/pro%20file",
                Map.of("id", "42")));
  }

  static Printed run(GuestFunction function, GuestRequest request) throws GuestException {
    GuestResponse response = function.invoke(request);
    assertEquals(200, response.status());
    Map<String, String> environment = new LinkedHashMap<>();
    List<String> argv = new ArrayList<>();
    for (String line : new String(response.body(), UTF_8).split("\n", -1)) {
      if (line.startsWith("argv[")) {
        argv.add(line.substring(line.indexOf('=') + 1));
      } else if (line.startsWith("argc=") || line.isEmpty()) {
        continue;
      } else {
        int eq = line.indexOf('=');
        environment.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return new Printed(environment, argv);
  }

  @ParameterizedTest(name = "{0} is ''{1}''")
  @CsvSource(
      delimiter = '|',
      value = {
        "AUTH_TYPE|''",
        "CONTENT_LENGTH|7",
        "CONTENT_TYPE|application/json",
        "GATEWAY_INTERFACE|CGI/1.1",
        "PATH_INFO|/pro%20file",
        "PATH_TRANSLATED|/pro file",
        "QUERY_STRING|name=ada&lang=en",
        "REMOTE_ADDR|10.1.2.3",
        "REMOTE_HOST|10.1.2.3",
        "REMOTE_USER|''",
        "REQUEST_METHOD|POST",
        "SCRIPT_NAME|/users/:id",
        "SERVER_NAME|example.com",
        "SERVER_PORT|8443",
        "SERVER_PROTOCOL|HTTP/1.1",
        "SERVER_SOFTWARE|WAGI/1",
        "X_FULL_URL|https://example.com:8443/users/42/pro%20file?name=ada&lang=en",
        "X_MATCHED_ROUTE|/users/:id/...",
        "X_RAW_PATH_INFO|/pro%20file",
        "X_COMPONENT_ROUTE|/users/:id",
        "X_RAW_COMPONENT_ROUTE|/users/:id/...",
        "X_BASE_PATH|/",
        "X_CLIENT_ADDR|10.1.2.3:5555",
        "X_WEAVE_LOCATION|eu-west",
        "X_WEAVE_NODE|edge-7",
        "X_PATH_MATCH_ID|42",
        "HTTP_HOST|example.com:8443",
        "HTTP_CONTENT_TYPE|application/json",
        "HTTP_X_CUSTOM_HEADER|yes",
        "HTTP_USER_AGENT|edgeweave-test",
        "GREETING|hello from the manifest",
      })
  void theGuestSeesTheVariable(String name, String value) {
    assertEquals(value, printed.environment().get(name), name);
  }

  @Test
  void authorizationAndConnectionHeadersAreNotPassedOn() {
    assertFalse(printed.environment().containsKey("HTTP_AUTHORIZATION"));
    assertFalse(printed.environment().containsKey("HTTP_CONNECTION"));
    assertFalse(
        printed.environment().values().stream().anyMatch(v -> v.contains("top-secret")),
        "no variable may carry the credentials");
  }

  @Test
  void requestVariablesWinOverTheComponentEnvironment() {
    assertEquals("POST", printed.environment().get("REQUEST_METHOD"));
  }

  @Test
  void argvIsTheRequestPathThenTheQueryPairsSplitOnSpaces() {
    assertEquals(List.of("/users/42/pro%20file", "name=ada", "lang=en"), printed.argv());
  }

  @Test
  void withoutAQueryArgvEndsWithAnEmptyArgumentAsInSpin() throws Exception {
    Printed p = run(env, GuestRequest.builder().path("/plain").build());

    assertEquals(List.of("/plain", ""), p.argv());
    assertEquals("", p.environment().get("QUERY_STRING"));
    assertEquals("0", p.environment().get("CONTENT_LENGTH"));
    assertEquals("", p.environment().get("CONTENT_TYPE"));
  }

  @Test
  void aCustomArgvTemplateIsExpanded() throws Exception {
    GuestFunction custom =
        engine.prepare(
            TestGuests.c("env"),
            ComponentSpec.builder("argv-component")
                .withArgvTemplate("handler --script ${SCRIPT_NAME} -- ${ARGS}")
                .build());

    Printed p = run(custom, GuestRequest.builder().path("/run").query("a=1&b=2").build());

    assertEquals(List.of("handler", "--script", "/run", "--", "a=1", "b=2"), p.argv());
  }

  @Test
  void anIpv6ClientAddressGivesTheBareAddressAsRemoteAddr() throws Exception {
    Printed p = run(env, GuestRequest.builder().clientAddr("[2001:db8::1]:8080").build());

    assertEquals("2001:db8::1", p.environment().get("REMOTE_ADDR"));
    assertEquals("[2001:db8::1]:8080", p.environment().get("X_CLIENT_ADDR"));
  }

  @Test
  void everyPathParameterBecomesAnXPathMatchVariable() throws Exception {
    RouteInfo route =
        new RouteInfo(
            "/shop/:category/:item",
            "/shop/:category/:item",
            "/shop/:category/:item",
            "/",
            "",
            "",
            Map.of("category", "books", "item", "dune"));

    Printed p = run(env, GuestRequest.builder().path("/shop/books/dune").route(route).build());

    assertEquals("books", p.environment().get("X_PATH_MATCH_CATEGORY"));
    assertEquals("dune", p.environment().get("X_PATH_MATCH_ITEM"));
    assertEquals("/shop/:category/:item", p.environment().get("SCRIPT_NAME"));
  }
}
