package dev.edgeweave.ingress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.sharding.TestApps;
import dev.edgeweave.wasmhost.TestGuests;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminApiTest {

  private static final String TOKEN = "admin-api-test-token";

  private static final Config CONFIG =
      ConfigFactory.parseString("edgeweave.admin.max-bundle-bytes = 12 MiB")
          .withFallback(ConfigFactory.load());

  @TempDir static Path dir;
  private static IngressTestKit kit;
  private static ServerBinding admin;

  @BeforeAll
  static void start() throws Exception {
    kit = new IngressTestKit("AdminApiTest", CONFIG, dir);
    admin =
        Http.get(kit.testKit.system())
            .newServerAt("127.0.0.1", 0)
            .bind(
                new AdminApi(
                    kit.testKit.system(), kit.catalog, AdminSettings.fromConfig(CONFIG, TOKEN)))
            .toCompletableFuture()
            .join();
  }

  @AfterAll
  static void stop() {
    admin.unbind().toCompletableFuture().join();
    kit.close();
  }

  private static HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + admin.localAddress().getPort() + path))
        .timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + TOKEN);
  }

  /** An app with a file of {@code size} random (incompressible) bytes, zipped. */
  private static byte[] bundleWithFile(String name, int size) throws Exception {
    byte[] data = new byte[size];
    new Random(size).nextBytes(data);
    Path app =
        TestApps.app(name)
            .wagi("/...", "hello", TestGuests.c("hello"), "files = [\"data.bin\"]")
            .file("data.bin", data)
            .writeTo(dir.resolve("apps"));
    return AppBundle.zipDirectory(app);
  }

  @Test
  void aBundleLargerThanPekkosDefaultsButWithinTheLimitShouldDeploy() throws Exception {
    byte[] zip = bundleWithFile("big-bundle", 9 << 20);
    assertTrue(zip.length > 9 << 20, "the bundle must not compress: " + zip.length);
    for (boolean withLength : new boolean[] {true, false}) {
      HttpRequest.BodyPublisher body =
          withLength
              ? HttpRequest.BodyPublishers.ofByteArray(zip)
              : HttpRequest.BodyPublishers.fromPublisher(
                  HttpRequest.BodyPublishers.ofByteArray(zip));
      HttpResponse<String> response = kit.send(request("/v1/apps").POST(body));
      assertEquals(201, response.statusCode(), response.body());
    }
  }

  @Test
  void aBundleOverTheLimitShouldGet413AndTheApiKeepsServing() throws Exception {
    byte[] zip = bundleWithFile("too-big", 13 << 20);
    for (boolean withLength : new boolean[] {true, false}) {
      HttpRequest.BodyPublisher body =
          withLength
              ? HttpRequest.BodyPublishers.ofByteArray(zip)
              : HttpRequest.BodyPublishers.fromPublisher(
                  HttpRequest.BodyPublishers.ofByteArray(zip));
      HttpResponse<String> response = kit.send(request("/v1/apps").POST(body));
      assertEquals(413, response.statusCode(), response.body());
      assertTrue(response.body().contains(Long.toString(12 << 20)), response.body());
      assertEquals(200, kit.send(request("/v1/status").GET()).statusCode());
    }
  }

  private static byte[] zip(java.nio.charset.Charset names, Map<String, byte[]> entries)
      throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(bytes, names)) {
      for (Map.Entry<String, byte[]> e : entries.entrySet()) {
        out.putNextEntry(new ZipEntry(e.getKey()));
        out.write(e.getValue());
        out.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static HttpResponse<String> deploy(byte[] zip) throws Exception {
    return kit.send(request("/v1/apps").POST(HttpRequest.BodyPublishers.ofByteArray(zip)));
  }

  @Test
  void anEnvironmentVariableNameWithAnEqualsSignShouldGet400WithTheReason() throws Exception {
    String manifest =
        TestApps.app("env-equals")
            .wagi("/...", "hello", TestGuests.c("hello"), "environment = { \"A=B\" = \"x\" }")
            .manifest();
    HttpResponse<String> response =
        deploy(
            zip(
                StandardCharsets.UTF_8,
                Map.of(
                    "spin.toml",
                    manifest.getBytes(StandardCharsets.UTF_8),
                    "hello.wasm",
                    TestGuests.c("hello"))));
    assertEquals(400, response.statusCode(), response.body());
    assertTrue(response.body().contains("A=B"), response.body());
    assertTrue(response.body().contains("'='"), response.body());
  }

  @Test
  void aZipEntryWhoseNameIsNotUtf8ShouldGet400WithTheReason() throws Exception {
    String manifest = TestApps.app("latin").wagi("/...", "hello", TestGuests.c("hello")).manifest();
    HttpResponse<String> response =
        deploy(
            zip(
                StandardCharsets.ISO_8859_1,
                Map.of(
                    "spin.toml",
                    manifest.getBytes(StandardCharsets.UTF_8),
                    "hello.wasm",
                    TestGuests.c("hello"),
                    "caf\u00e9.txt",
                    new byte[] {1})));
    assertEquals(400, response.statusCode(), response.body());
    assertTrue(response.body().contains("UTF-8"), response.body());
  }
}
