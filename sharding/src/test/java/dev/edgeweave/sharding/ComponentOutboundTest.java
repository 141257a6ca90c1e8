package dev.edgeweave.sharding;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.AppRepository;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.wasmhost.EngineConfig;
import dev.edgeweave.wasmhost.GuestRequest;
import dev.edgeweave.wasmhost.TestGuests;
import dev.edgeweave.wasmhost.WasmEngine;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outbound HTTP as the catalog gives it to a deployed component: the hosts its spin.toml allows,
 * the app's limits from the node's configuration, and none of the node's own ports.
 */
class ComponentOutboundTest {
  @TempDir Path dir;
  private final WasmEngine engine = WasmEngine.create(EngineConfig.defaults());
  private final AtomicInteger requests = new AtomicInteger();
  private HttpServer server;
  private FunctionCatalog catalog;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          requests.incrementAndGet();
          byte[] answer = "pong".getBytes(UTF_8);
          exchange.sendResponseHeaders(200, answer.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(answer);
          }
        });
    server.start();
  }

  @AfterEach
  void stop() {
    if (catalog != null) {
      catalog.close();
    }
    server.stop(0);
    engine.close();
  }

  private int port() {
    return server.getAddress().getPort();
  }

  private DeployedApp deploy(String node, String name, String allowed) throws Exception {
    catalog =
        new FunctionCatalog(
            AppRepository.open(dir.resolve("store")),
            engine,
            FunctionSettings.fromConfig(
                ConfigFactory.parseString(node).withFallback(ConfigFactory.load())),
            CatalogSettings.defaults(),
            null,
            null,
            new AppVariables(ConfigFactory.empty(), Map.of()));
    TestApps app =
        TestApps.app(name)
            .wagi(
                "/...",
                "web",
                TestGuests.c("weave-http"),
                "allowed_outbound_hosts = [" + allowed + "]");
    return catalog.deploy(
        AppBundle.fromZip(AppBundle.zipDirectory(app.writeTo(dir.resolve("apps")))));
  }

  private String call(DeployedApp app, String line) throws Exception {
    return new String(
        catalog
            .function(app.name(), app.digest(), 0)
            .invoke(GuestRequest.builder().body(line.getBytes(UTF_8)).build())
            .body(),
        UTF_8);
  }

  @Test
  void aComponentReachesTheHostsItsManifestAllowsAndNoOther() throws Exception {
    DeployedApp app = deploy("", "out", "\"http://127.0.0.1:" + port() + "\"");

    assertEquals(
        "status 0 http 200 sent 1 header - body pong",
        call(app, "GET http://127.0.0.1:" + port() + "/ 0 1"));
    assertEquals(1, requests.get());
    assertEquals("status 9 sent 0", call(app, "GET http://localhost:" + port() + "/ 0 1"));
    assertEquals(1, requests.get());
  }

  @Test
  void aComponentWithoutAllowedHostsReachesNothing() throws Exception {
    DeployedApp app = deploy("", "out", "");

    assertEquals("status 9 sent 0", call(app, "GET http://127.0.0.1:" + port() + "/ 0 1"));
    assertEquals(0, requests.get());
  }

  @Test
  void anAppsOutboundLimitsComeFromTheNodesConfiguration() throws Exception {
    DeployedApp app =
        deploy(
            "edgeweave.apps { \"out\" { limits.outbound.max-requests = 1 } }",
            "out",
            "\"http://127.0.0.1:" + port() + "\"");

    assertEquals("status 35 sent 1", call(app, "GET http://127.0.0.1:" + port() + "/ 0 2"));
    assertEquals(1, requests.get());
  }

  @Test
  void theNodesAdminPortIsRefusedEvenWhenTheManifestAllowsIt() throws Exception {
    DeployedApp app =
        deploy("edgeweave.admin.port = " + port(), "out", "\"http://127.0.0.1:" + port() + "\"");

    assertEquals("status 9 sent 0", call(app, "GET http://127.0.0.1:" + port() + "/ 0 1"));
    assertEquals(0, requests.get());
  }

  @Test
  void theNodesPublicPortIsRefusedUnlessTheNodeLetsTheAppCallIt() throws Exception {
    DeployedApp app =
        deploy("edgeweave.ingress.port = " + port(), "out", "\"http://127.0.0.1:" + port() + "\"");
    assertEquals("status 9 sent 0", call(app, "GET http://127.0.0.1:" + port() + "/ 0 1"));
    assertEquals(0, requests.get());
    catalog.close();

    DeployedApp allowed =
        deploy(
            "edgeweave.ingress.port = "
                + port()
                + "\nedgeweave.apps { \"out\" { limits.outbound.allow-ingress = on } }",
            "out",
            "\"http://127.0.0.1:" + port() + "\"");
    assertEquals(
        "status 0 http 200 sent 1 header - body pong",
        call(allowed, "GET http://127.0.0.1:" + port() + "/ 0 1"));
  }
}
