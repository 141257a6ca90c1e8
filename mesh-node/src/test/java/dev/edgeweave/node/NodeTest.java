package dev.edgeweave.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.AppBundle;
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
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeTest {

  @TempDir Path dir;
  private final HttpClient client = HttpClient.newHttpClient();

  private Config config(Path dataDir) {
    return ConfigFactory.parseMap(
        Map.of(
            "edgeweave.node.data-dir", dataDir.toString(),
            "edgeweave.ingress.port", 0,
            "edgeweave.admin.port", 0));
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client.send(
        request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest.Builder admin(Node node, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path))
        .header("Authorization", "Bearer " + node.adminToken());
  }

  private HttpResponse<String> call(Node node, String app, String path) throws Exception {
    return send(
        HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + node.publicPort() + "/" + app + path)));
  }

  @Test
  void theAdminApiShouldRefuseRequestsWithoutTheToken() throws Exception {
    try (Node node = Node.start(config(dir.resolve("data")))) {
      HttpResponse<String> response =
          send(
              HttpRequest.newBuilder(
                  URI.create("http://127.0.0.1:" + node.adminPort() + "/v1/apps")));
      assertEquals(401, response.statusCode());
      HttpResponse<String> wrong =
          send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + node.adminPort() + "/v1/apps"))
                  .header("Authorization", "Bearer not-the-token"));
      assertEquals(401, wrong.statusCode());
    }
  }

  @Test
  void anAppDeployedThroughTheAdminApiShouldServeListAndBeRemoved() throws Exception {
    Path app = TestApps.app("hello").wagi("/...", "hello", TestGuests.c("hello")).writeTo(dir);
    try (Node node = Node.start(config(dir.resolve("data")))) {
      HttpResponse<String> deployed =
          send(
              admin(node, "/v1/apps")
                  .header("Content-Type", "application/zip")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(AppBundle.zipDirectory(app))));
      assertEquals(201, deployed.statusCode(), deployed.body());
      assertTrue(deployed.body().contains("\"name\":\"hello\""), deployed.body());

      HttpResponse<String> served = call(node, "hello", "/");
      assertEquals(200, served.statusCode());
      assertTrue(served.body().contains("Hello"), served.body());

      HttpResponse<String> list = send(admin(node, "/v1/apps").GET());
      assertTrue(list.body().contains("\"hello\""), list.body());
      assertEquals(200, send(admin(node, "/v1/apps/hello").GET()).statusCode());

      assertEquals(204, send(admin(node, "/v1/apps/hello").DELETE()).statusCode());
      assertEquals(404, call(node, "hello", "/").statusCode());
      assertEquals(404, send(admin(node, "/v1/apps/hello").GET()).statusCode());
    }
  }

  @Test
  void aBrokenBundleShouldBeRefusedWithTheReason() throws Exception {
    String hello = new String(TestGuests.c("hello"), StandardCharsets.ISO_8859_1);
    String manifest =
        TestApps.app("broken").wagi("/...", "hello", TestGuests.c("hello")).manifest();
    String escaping =
        TestApps.app("escaping")
            .wagi("/...", "hello", TestGuests.c("hello"), "files = [\"../outside.txt\"]")
            .manifest();
    try (Node node = Node.start(config(dir.resolve("data")))) {
      HttpResponse<String> missing =
          deployZip(node, Map.of("spin.toml", manifest.replace("hello.wasm", "missing.wasm")));
      assertEquals(400, missing.statusCode());
      assertTrue(missing.body().contains("missing.wasm"), missing.body());

      HttpResponse<String> notZip =
          send(admin(node, "/v1/apps").POST(HttpRequest.BodyPublishers.ofString("not a zip")));
      assertEquals(400, notZip.statusCode(), notZip.body());

      HttpResponse<String> notWasm =
          deployZip(
              node,
              Map.of("spin.toml", manifest, "hello.wasm", "\0asm\u0001\0\0\0 definitely not code"));
      assertEquals(400, notWasm.statusCode(), notWasm.body());
      assertTrue(notWasm.body().contains("hello"), notWasm.body());

      HttpResponse<String> outside =
          deployZip(node, Map.of("spin.toml", escaping, "hello.wasm", hello));
      assertEquals(400, outside.statusCode(), outside.body());
      assertTrue(outside.body().contains("../outside.txt"), outside.body());

      HttpResponse<String> health =
          send(
              HttpRequest.newBuilder(
                  URI.create(
                      "http://127.0.0.1:" + node.publicPort() + "/.well-known/spin/health")));
      assertEquals(200, health.statusCode());
      assertEquals(0, node.catalog().apps().size());
    }
  }

  /** Uploads a bundle made of these entries (contents as ISO-8859-1, so bytes survive). */
  private HttpResponse<String> deployZip(Node node, Map<String, String> entries) throws Exception {
    return send(admin(node, "/v1/apps").POST(HttpRequest.BodyPublishers.ofByteArray(zip(entries))));
  }

  private static byte[] zip(Map<String, String> entries) throws java.io.IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, String> e : entries.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey()));
        zip.write(e.getValue().getBytes(StandardCharsets.ISO_8859_1));
        zip.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  @Test
  void aRestartedNodeShouldServeItsAppsWithoutANewUpload() throws Exception {
    Path data = dir.resolve("data");
    Path app = TestApps.app("persisted").wagi("/...", "hello", TestGuests.c("hello")).writeTo(dir);
    try (Node node = Node.start(config(data))) {
      node.deployDirectory(app);
      assertEquals(200, call(node, "persisted", "/").statusCode());
    }
    try (Node node = Node.start(config(data))) {
      HttpResponse<String> served = call(node, "persisted", "/");
      assertEquals(200, served.statusCode(), served.body());
      assertTrue(served.body().contains("Hello"), served.body());
    }
  }

  @Test
  void theCliShouldDeployListAndRemoveAppsOnARunningNode() throws Exception {
    Path app =
        TestApps.app("cli-app")
            .wagi("/...", "hello", TestGuests.c("hello"), "files = [\"**/*\"]")
            .file("local-node/admin-token", "not for upload".getBytes(StandardCharsets.UTF_8))
            .file(".weave/data/admin-token", "nor this".getBytes(StandardCharsets.UTF_8))
            .writeTo(dir);
    try (Node node = Node.start(config(dir.resolve("data")))) {
      String to = "http://127.0.0.1:" + node.adminPort();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
      PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
      String[] auth = {"--to", to, "--token", node.adminToken()};
      String[] deploy = {"deploy", app.toString(), "--data", app.resolve("local-node").toString()};
      assertEquals(0, Weave.run(concat(deploy, auth), o, e), err.toString());
      assertEquals(200, call(node, "cli-app", "/").statusCode());
      assertEquals(
          List.of("/hello.wasm"),
          List.copyOf(
              new java.util.TreeMap<>(
                      node.catalog().app("cli-app").orElseThrow().components().get("hello").files())
                  .keySet()));
      assertEquals(0, Weave.run(concat(new String[] {"apps"}, auth), o, e));
      assertTrue(out.toString(StandardCharsets.UTF_8).contains("cli-app"));
      assertEquals(0, Weave.run(concat(new String[] {"rm", "cli-app"}, auth), o, e));
      assertEquals(1, Weave.run(concat(new String[] {"app", "cli-app"}, auth), o, e));
      assertEquals(2, Weave.run(new String[] {"frobnicate"}, o, e));
    }
  }

  @Test
  void theCliShouldSetGetListExportAndDeleteKeysOfAnAppsStore() throws Exception {
    Path app = TestApps.app("kv-cli").wagi("/...", "hello", TestGuests.c("hello")).writeTo(dir);
    Path file = dir.resolve("value.bin");
    byte[] binary = {0, (byte) 0xff, 10, 42};
    java.nio.file.Files.write(file, binary);
    try (Node node = Node.start(config(dir.resolve("data")))) {
      String[] auth = {
        "--to", "http://127.0.0.1:" + node.adminPort(), "--token", node.adminToken()
      };
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
      assertEquals(0, Weave.run(concat(new String[] {"deploy", app.toString()}, auth), quiet(), e));
      assertEquals(
          0,
          Weave.run(concat(new String[] {"kv", "set", "kv-cli", "a/b", "hello"}, auth), quiet(), e),
          err.toString());
      assertEquals(
          0,
          Weave.run(
              concat(new String[] {"kv", "set", "kv-cli", "bin", "--file", file.toString()}, auth),
              quiet(),
              e),
          err.toString());
      for (int i = 0; i < 150; i++) {
        assertEquals(
            0,
            Weave.run(
                concat(new String[] {"kv", "set", "kv-cli", String.format("n%03d", i), "v"}, auth),
                quiet(),
                e));
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      assertEquals(
          0,
          Weave.run(
              concat(new String[] {"kv", "get", "kv-cli", "bin"}, auth),
              new PrintStream(out, true),
              e));
      org.junit.jupiter.api.Assertions.assertArrayEquals(binary, out.toByteArray());

      out.reset();
      assertEquals(
          0,
          Weave.run(
              concat(new String[] {"kv", "list", "kv-cli"}, auth),
              new PrintStream(out, true, StandardCharsets.UTF_8),
              e));
      List<String> keys = List.of(out.toString(StandardCharsets.UTF_8).split("\n"));
      assertEquals(152, keys.size(), "every page of keys (the admin API pages by 100)");
      assertEquals(List.of("a/b", "bin", "n000"), keys.subList(0, 3));
      assertEquals("n149", keys.get(151));

      out.reset();
      assertEquals(
          0,
          Weave.run(
              concat(new String[] {"kv", "export", "kv-cli"}, auth),
              new PrintStream(out, true, StandardCharsets.UTF_8),
              e));
      String json = out.toString(StandardCharsets.UTF_8);
      assertTrue(json.contains("{\"key\":\"a/b\",\"value\":\"aGVsbG8=\"}"), json);
      assertTrue(json.contains("{\"key\":\"bin\",\"value\":\"AP8KKg==\"}"), json);
      assertTrue(json.strip().endsWith("]}"), json);

      assertEquals(
          0, Weave.run(concat(new String[] {"kv", "delete", "kv-cli", "a/b"}, auth), quiet(), e));
      err.reset();
      assertEquals(
          1, Weave.run(concat(new String[] {"kv", "get", "kv-cli", "a/b"}, auth), quiet(), e));
      assertTrue(err.toString(StandardCharsets.UTF_8).contains("no key 'a/b'"), err.toString());
      err.reset();
      assertEquals(
          1,
          Weave.run(
              concat(new String[] {"kv", "list", "kv-cli", "--store", "other"}, auth), quiet(), e));
      assertTrue(err.toString(StandardCharsets.UTF_8).contains("no_such_store"), err.toString());
      assertEquals(2, Weave.run(concat(new String[] {"kv", "get", "kv-cli"}, auth), quiet(), e));
    }
  }

  private static PrintStream quiet() {
    return new PrintStream(java.io.OutputStream.nullOutputStream());
  }

  @Test
  void aNodeStartedByWeaveUpShouldKeepAGuestsStderrOutOfPublicBodies() throws Exception {
    Path app = TestApps.app("failing").wagi("/...", "exit", TestGuests.c("exit")).writeTo(dir);
    Config up =
        Weave.upConfig(
            Map.of("port", "0", "admin-port", "0", "data", dir.resolve("data").toString()));
    try (Node node = Node.start(up)) {
      node.deployDirectory(app);
      HttpResponse<String> failed = call(node, "failing", "/");
      assertEquals(500, failed.statusCode());
      // exit.c writes "something went wrong: database unreachable" to stderr, then exits 3.
      assertTrue(!failed.body().contains("database unreachable"), failed.body());
      String id = failed.headers().firstValue("x-request-id").orElseThrow();
      assertTrue(failed.body().contains("exited with a non-zero exit code"), failed.body());
      assertTrue(failed.body().contains("request id: " + id), failed.body());
    }
  }

  @Test
  void weaveUpInAnAppsDirectoryShouldNeverMountTheNodesDataDirectory() throws Exception {
    for (String dataDir : List.of(".weave/data", "state")) {
      Path app =
          TestApps.app("everything")
              .wagi("/...", "hello", TestGuests.c("hello"), "files = [\"**/*\"]")
              .file("static/page.html", "<p>".getBytes(StandardCharsets.UTF_8))
              .writeTo(dir.resolve(dataDir.replace('/', '-')));
      Config up =
          Weave.upConfig(
              Map.of("port", "0", "admin-port", "0", "data", app.resolve(dataDir).toString()));
      try (Node node = Node.start(up)) {
        assertTrue(java.nio.file.Files.exists(node.dataDir().resolve("admin-token")));
        node.deployDirectory(app);
        node.deployDirectory(app); // the store now holds blobs too
        List<String> mounted =
            List.copyOf(
                node.catalog()
                    .app("everything")
                    .orElseThrow()
                    .components()
                    .get("hello")
                    .files()
                    .keySet());
        assertTrue(mounted.contains("/static/page.html"), mounted.toString());
        assertTrue(
            mounted.stream().noneMatch(p -> p.startsWith("/" + dataDir.split("/")[0])),
            dataDir + ": " + mounted);
      }
    }
  }

  @Test
  void theStatusShouldShowTheClusterAndTheEntitiesTheNodeRuns() throws Exception {
    Path app = TestApps.app("counted").wagi("/...", "hello", TestGuests.c("hello")).writeTo(dir);
    try (Node node = Node.start(config(dir.resolve("data")))) {
      node.deployDirectory(app);
      assertEquals(200, call(node, "counted", "/").statusCode());
      HttpResponse<String> status = send(admin(node, "/v1/status").GET());
      assertEquals(200, status.statusCode(), status.body());
      String self =
          org.apache.pekko.cluster.typed.Cluster.get(node.system())
              .selfMember()
              .address()
              .toString();
      String body = status.body();
      assertTrue(body.contains("\"apps\":1"), body);
      assertTrue(body.contains("\"self\":\"" + self + "\""), body);
      assertTrue(body.contains("\"location\":\"default\""), body);
      assertTrue(
          body.contains(
              "\"members\":[{\"address\":\""
                  + self
                  + "\",\"location\":\"default\",\"status\":\"Up\",\"reachable\":true}]"),
          body);
      assertTrue(body.contains("\"entities\":[\"counted#0\"]"), body);
    }
  }

  @Test
  void theAdminTokenShouldBeGeneratedOnceAndKeptInTheDataDir() {
    Path data = dir.resolve("tokens");
    Config config = config(data);
    String first = Node.adminToken(config.withFallback(ConfigFactory.load()), data);
    String second = Node.adminToken(config.withFallback(ConfigFactory.load()), data);
    assertEquals(first, second);
    assertTrue(first.length() >= 32);
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
