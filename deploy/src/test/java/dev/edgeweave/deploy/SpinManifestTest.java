package dev.edgeweave.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SpinManifestTest {

  private static AppManifest parseValid(String name) throws IOException, ManifestException {
    return SpinManifest.parse(
        Files.readString(Fixtures.resourceDir("manifests/valid").resolve(name + ".toml")));
  }

  @Test
  void minimalManifestShouldGetSpinsDefaults() throws Exception {
    AppManifest m = parseValid("minimal");

    AppManifest expected =
        new AppManifest(
            "minimal",
            "",
            "",
            List.of(new HttpTrigger("/...", "web", WagiExecutor.defaults())),
            Map.of("web", ComponentManifest.of("web", "web.wasm")),
            Map.of(),
            List.of(),
            "/");
    assertEquals(expected, m);
    assertEquals("${SCRIPT_NAME} ${ARGS}", m.triggers().get(0).executor().argv());
    assertEquals("_start", m.triggers().get(0).executor().entrypoint());
  }

  @Test
  void fullManifestShouldKeepEverySupportedField() throws Exception {
    AppManifest m = parseValid("full");

    ComponentManifest cart =
        new ComponentManifest(
            "cart",
            "target/cart.wasm",
            List.of(
                new FileMount.Pattern("static/**"),
                new FileMount.Pattern("*.txt"),
                new FileMount.Pattern("README.md"),
                new FileMount.Placement("assets", "/assets")),
            List.of("static/secret.txt"),
            Map.of("MODE", "production", "REGION", "eu"),
            Map.of("endpoint", "https://{{ api_host }}/v1", "token", "{{api_token}}"),
            List.of(),
            List.of("default", "user-sessions"),
            Optional.of(
                new BuildConfig(
                    List.of("make deps", "make"), Optional.of("cart"), List.of("src/**/*.c"))),
            "Shopping cart");
    AppManifest expected =
        new AppManifest(
            "full",
            "1.2.3",
            "Every field this platform supports.",
            List.of(
                new HttpTrigger(
                    "/cart/...",
                    "cart",
                    new WagiExecutor("${SCRIPT_NAME} --verbose ${ARGS}", "main")),
                new HttpTrigger("/items/:id", "cart", WagiExecutor.defaults())),
            Map.of("cart", cart),
            Map.of(
                "api_host",
                new VariableDecl(
                    Optional.of("api.example.com"),
                    false,
                    false,
                    Optional.of("Where the API lives")),
                "api_token",
                new VariableDecl(Optional.empty(), true, true, Optional.empty())),
            List.of("Ada <ada@example.com>", "Grace"),
            "/shop");
    assertEquals(expected, m);
    assertEquals(
        List.of("MODE", "REGION"), List.copyOf(m.components().get("cart").environment().keySet()));
  }

  @Test
  void inlineComponentsShouldGetSpinsGeneratedIds() throws Exception {
    AppManifest m = parseValid("inline");

    assertEquals(
        List.of("named", "http-trigger1-component", "bee-component"),
        List.copyOf(m.components().keySet()));
    assertEquals(
        List.of("http-trigger1-component", "bee-component", "named"),
        m.triggers().stream().map(HttpTrigger::componentId).toList());
    assertEquals(Map.of("WHO", "a"), m.components().get("http-trigger1-component").environment());
    assertEquals("b.wasm", m.components().get("bee-component").source());
  }

  @Test
  void inlineComponentShouldNotTakeAnIdThatIsAlreadyUsed() throws Exception {
    String toml =
        """
        spin_manifest_version = 2
        [application]
        name = "clash"
        [[trigger.http]]
        route = "/a"
        component = { source = "inline.wasm" }
        executor = { type = "wagi" }
        [component.http-trigger1-component]
        source = "named.wasm"
        [[trigger.http]]
        route = "/b"
        component = "http-trigger1-component"
        executor = { type = "wagi" }
        """;

    AppManifest m = SpinManifest.parse(toml);

    assertEquals("inline-component1", m.triggers().get(0).componentId());
    assertEquals("inline.wasm", m.components().get("inline-component1").source());
    assertEquals("named.wasm", m.components().get("http-trigger1-component").source());
  }

  @Test
  void applicationBaseShouldBeNormalised() throws Exception {
    for (String base : List.of("/", "/api", "/api/")) {
      String toml =
          Fixtures.manifest("based", "/", "")
              .replace(
                  "[[trigger.http]]",
                  "[application.trigger.http]\nbase = \"" + base + "\"\n\n[[trigger.http]]");
      String expected = base.equals("/") ? "/" : "/api";
      assertEquals(expected, SpinManifest.parse(toml).base(), "base " + base);
    }
  }

  @Test
  void emptyOutboundHostsAndKeyValueStoresShouldBeAccepted() throws Exception {
    AppManifest m =
        SpinManifest.parse(
            Fixtures.manifest(
                "empty-lists", "/", "allowed_outbound_hosts = []\nkey_value_stores = []"));

    assertEquals(List.of(), m.components().get("web").allowedOutboundHosts());
    assertEquals(List.of(), m.components().get("web").keyValueStores());
  }

  @Test
  void errorsShouldAllBeReportedAtOnce() {
    String toml =
        """
        spin_manifest_version = 2
        [application]
        name = "many"
        [[trigger.http]]
        route = "nope"
        component = "web"
        [component.web]
        source = "web.wasm"
        sqlite_databases = ["default"]
        """;

    ManifestException e = assertThrows(ManifestException.class, () -> SpinManifest.parse(toml));

    assertEquals(3, e.errors().size(), e.getMessage());
    assertEquals(String.join("\n", e.errors()), e.getMessage());
  }

  @Test
  void manifestExceptionShouldRequireAtLeastOneError() {
    assertThrows(IllegalArgumentException.class, () -> new ManifestException(List.of()));
  }

  @Test
  void variableDeclShouldHaveEitherADefaultOrBeRequired() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new VariableDecl(Optional.empty(), false, false, Optional.empty()));
    assertThrows(
        IllegalArgumentException.class,
        () -> new VariableDecl(Optional.of("x"), true, false, Optional.empty()));
    assertEquals(Optional.of("x"), VariableDecl.withDefault("x").defaultValue());
    assertEquals(true, VariableDecl.requiredValue().required());
  }

  @Test
  void reservedPrefixShouldBeCheckedLikeSpinWithTheBaseInFront() throws Exception {
    SpinManifest.parse(Fixtures.manifest("ok", "/.well-known/spin", ""));
    SpinManifest.parse(Fixtures.manifest("ok", "/.well-known/spindle/...", ""));
    String based =
        Fixtures.manifest("based", "/spin/...", "")
            .replace(
                "[[trigger.http]]",
                "[application.trigger.http]\nbase = \"/.well-known\"\n\n[[trigger.http]]");

    ManifestException e = assertThrows(ManifestException.class, () -> SpinManifest.parse(based));

    assertEquals(
        List.of(
            "trigger.http[0]: route '/spin/...' is under /.well-known/spin/, which is reserved for"
                + " the platform"),
        e.errors());
  }

  @Test
  void aDeeplyNestedManifestShouldBeRefusedEvenOnASmallStack() throws Exception {
    // Deploys run on pool threads with the JVM's default stack, smaller than the test's.
    String toml =
        "spin_manifest_version = 2\n[application]\nname = \"deep\"\nx = " + "[".repeat(100_000);
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread parser =
        new Thread(
            null,
            () -> {
              try {
                SpinManifest.parse(toml);
              } catch (Throwable t) {
                thrown.set(t);
              }
            },
            "small-stack-parser",
            256 * 1024);
    parser.start();
    parser.join();
    assertInstanceOf(ManifestException.class, thrown.get());
    assertEquals(
        List.of("spin.toml: line 4: arrays and inline tables nest more than 32 deep"),
        ((ManifestException) thrown.get()).errors());
  }

  @Test
  void appNamesShouldBeSingleDnsLabels() throws Exception {
    for (String good : List.of("a", "7", "Hello-C", "a-b-c", "x".repeat(63))) {
      assertEquals(good, SpinManifest.parse(Fixtures.manifest(good, "/", "")).name(), good);
    }
    for (String bad : List.of("a.b", "x.hello-c", "a_b", "-a", "a-", "x".repeat(64), "é")) {
      ManifestException e =
          assertThrows(
              ManifestException.class, () -> SpinManifest.parse(Fixtures.manifest(bad, "/", "")));
      assertTrue(e.getMessage().contains("single DNS label"), bad + ": " + e.getMessage());
    }
  }
}
