package dev.edgeweave.ingress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.edgeweave.kv.KvException;
import dev.edgeweave.kv.KvStore;
import dev.edgeweave.kv.ReplicatedKvService;
import dev.edgeweave.sharding.TestApps;
import dev.edgeweave.wasmhost.TestGuests;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API's KV routes over the real replicated store of a one-node cluster. */
class KvAdminApiTest {

  private static final String TOKEN = "kv-admin-api-test-token";

  @TempDir static Path dir;
  private static IngressTestKit kit;
  private static ServerBinding admin;
  private static ReplicatedKvService kv;

  @BeforeAll
  static void start() throws Exception {
    Config config =
        ConfigFactory.parseString(
                "edgeweave.kv.durable.dir = \""
                    + dir.resolve("kv").toString().replace("\\", "/")
                    + "\"\n"
                    + "edgeweave.admin.kv.export-page-size = 7\n"
                    + "edgeweave.apps.\"shop\".kv.stores = [\"default\", \"sessions\"]\n"
                    + "edgeweave.apps.\"shop\".kv.limits { max-value-bytes = 1 KiB,"
                    + " max-key-bytes = 64 }\n"
                    + "edgeweave.apps.\"busy\".kv.limits { writes-per-second = 0.001,"
                    + " write-burst = 1 }\n")
            .withFallback(ConfigFactory.load());
    kit = new IngressTestKit("KvAdminApiTest", config, dir);
    kv = ReplicatedKvService.get(kit.testKit.system());
    for (String app : List.of("shop", "busy", "other", "lister")) {
      kit.deploy(TestApps.app(app).wagi("/...", "hello", TestGuests.c("hello")));
    }
    admin =
        Http.get(kit.testKit.system())
            .newServerAt("127.0.0.1", 0)
            .bind(
                new AdminApi(
                    kit.testKit.system(), kit.catalog, AdminSettings.fromConfig(config, TOKEN)))
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
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + TOKEN);
  }

  private static HttpResponse<byte[]> send(HttpRequest.Builder request) throws Exception {
    return kit.client
        .sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray())
        .get(1, TimeUnit.MINUTES);
  }

  private static String text(HttpResponse<byte[]> response) {
    return new String(response.body(), StandardCharsets.UTF_8);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String keyPath(String app, String store, String key) {
    return "/v1/apps/" + app + "/kv/" + store + "/keys/" + enc(key);
  }

  private static KvStore store(String app, String label) {
    return kv.open(app, label);
  }

  @Test
  void aValueWrittenThroughTheApiShouldBeReadBackAsBytesThroughTheApiAndTheStore()
      throws Exception {
    byte[] value = {0, 1, 2, (byte) 0xff, 10, 13};
    for (String key : List.of("plain", "a/b c?d#e%f+g", "clé ✓", "")) {
      HttpResponse<byte[]> put =
          send(
              request(keyPath("shop", "sessions", key))
                  .PUT(HttpRequest.BodyPublishers.ofByteArray(value)));
      assertEquals(204, put.statusCode(), text(put));
      HttpResponse<byte[]> get = send(request(keyPath("shop", "sessions", key)).GET());
      assertEquals(200, get.statusCode(), key + ": " + text(get));
      assertArrayEquals(value, get.body(), key);
      assertArrayEquals(
          value,
          store("shop", "sessions").get(key).toCompletableFuture().join().orElseThrow(),
          key);
    }
  }

  @Test
  void aValueWrittenByTheAppShouldBeReadableAndDeletableThroughTheApi() throws Exception {
    store("shop", "default")
        .set("greeting", "hello".getBytes(StandardCharsets.UTF_8))
        .toCompletableFuture()
        .join();
    HttpResponse<byte[]> get = send(request(keyPath("shop", "default", "greeting")).GET());
    assertEquals(200, get.statusCode());
    assertEquals("hello", text(get));
    assertEquals("application/octet-stream", get.headers().firstValue("Content-Type").get());
    for (int i = 0; i < 2; i++) {
      HttpResponse<byte[]> delete = send(request(keyPath("shop", "default", "greeting")).DELETE());
      assertEquals(204, delete.statusCode(), "a delete, also of a missing key, is 204");
    }
    assertEquals(
        Optional.empty(), store("shop", "default").get("greeting").toCompletableFuture().join());
    HttpResponse<byte[]> missing = send(request(keyPath("shop", "default", "greeting")).GET());
    assertEquals(404, missing.statusCode());
    assertTrue(text(missing).contains("no key 'greeting'"), text(missing));
  }

  @Test
  void theKeysShouldBeListedPageByPageInOrder() throws Exception {
    KvStore store = store("lister", "default");
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      String key = String.format("k/%02d", i);
      expected.add(key);
      store.set(key, new byte[] {(byte) i}).toCompletableFuture().join();
    }
    List<String> listed = new ArrayList<>();
    String cursor = "";
    int pages = 0;
    do {
      HttpResponse<byte[]> page =
          send(request("/v1/apps/lister/kv/default/keys?limit=10&cursor=" + enc(cursor)).GET());
      assertEquals(200, page.statusCode(), text(page));
      assertEquals("application/json", page.headers().firstValue("Content-Type").get());
      String json = text(page);
      Matcher keys = Pattern.compile("\"(k/\\d\\d)\"").matcher(json.split("\"cursor\"")[0]);
      while (keys.find()) {
        listed.add(keys.group(1));
      }
      Matcher next = Pattern.compile("\"cursor\":(null|\"([^\"]*)\")").matcher(json);
      assertTrue(next.find(), json);
      cursor = next.group(2);
      pages++;
    } while (cursor != null);
    assertEquals(expected, listed);
    assertEquals(3, pages);
    for (String limit : List.of("0", "10001", "ten")) {
      HttpResponse<byte[]> bad =
          send(request("/v1/apps/other/kv/default/keys?limit=" + limit).GET());
      assertEquals(400, bad.statusCode(), limit);
      assertTrue(text(bad).contains("1..10000"), text(bad));
    }
  }

  @Test
  void anExportShouldStreamEveryKeyAndValueAcrossPages() throws Exception {
    HttpResponse<byte[]> refused = send(request("/v1/apps/shop/kv/export/export").GET());
    assertEquals(404, refused.statusCode(), "the label is not offered to the app");

    KvStore store = store("other", "default");
    TreeMap<String, byte[]> expected = new TreeMap<>();
    for (int i = 0; i < 50; i++) {
      String key = "export-" + i + "-\"q\"";
      byte[] value = ("v" + i + "\u00e9").getBytes(StandardCharsets.UTF_8);
      expected.put(key, value);
      store.set(key, value).toCompletableFuture().join();
    }
    HttpResponse<byte[]> export = send(request("/v1/apps/other/kv/default/export").GET());
    assertEquals(200, export.statusCode(), text(export));
    String json = text(export);
    assertTrue(json.startsWith("{\"app\":\"other\",\"store\":\"default\",\"entries\":["), json);
    assertTrue(json.strip().endsWith("]}"), json);
    Matcher entries =
        Pattern.compile("\\{\"key\":\"((?:[^\"\\\\]|\\\\.)*)\",\"value\":\"([^\"]*)\"\\}")
            .matcher(json);
    TreeMap<String, byte[]> exported = new TreeMap<>();
    int count = 0;
    while (entries.find()) {
      count++;
      String key = entries.group(1).replace("\\\"", "\"");
      if (key.startsWith("export-")) {
        exported.put(key, Base64.getDecoder().decode(entries.group(2)));
      }
    }
    assertEquals(expected.keySet(), exported.keySet());
    expected.forEach((k, v) -> assertArrayEquals(v, exported.get(k), k));
    // Entries are separated by exactly one comma each, across the export's pages of 7 keys.
    String inner = json.substring(json.indexOf('[') + 1, json.lastIndexOf(']'));
    assertEquals(count - 1, inner.split("\\},\n\\{", -1).length - 1, json);
  }

  @Test
  void unknownAppsAndStoresShouldGet404WithTheReason() throws Exception {
    HttpResponse<byte[]> noApp = send(request(keyPath("nobody", "default", "k")).GET());
    assertEquals(404, noApp.statusCode());
    assertTrue(text(noApp).contains("no app named 'nobody'"), text(noApp));
    HttpResponse<byte[]> noStore = send(request(keyPath("other", "sessions", "k")).GET());
    assertEquals(404, noStore.statusCode());
    assertTrue(text(noStore).startsWith("no_such_store: "), text(noStore));
    HttpResponse<byte[]> noStoreList = send(request("/v1/apps/other/kv/sessions/keys").GET());
    assertEquals(404, noStoreList.statusCode());
    HttpResponse<byte[]> putNoApp =
        send(
            request(keyPath("nobody", "default", "k"))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[100_000])));
    assertEquals(404, putNoApp.statusCode());
    HttpResponse<byte[]> deleteWithBody =
        send(
            request(keyPath("other", "default", "none"))
                .method("DELETE", HttpRequest.BodyPublishers.ofString("ignored")));
    assertEquals(204, deleteWithBody.statusCode(), text(deleteWithBody));
    HttpResponse<byte[]> emptyExport = send(request("/v1/apps/busy/kv/sessions/export").GET());
    assertEquals(404, emptyExport.statusCode(), "busy is offered only its default store");
  }

  @Test
  void limitsShouldMapTo413And400AndTheRateLimitTo429() throws Exception {
    HttpResponse<byte[]> big =
        send(
            request(keyPath("shop", "default", "big"))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[1025])));
    assertEquals(413, big.statusCode(), text(big));
    HttpResponse<byte[]> fits =
        send(
            request(keyPath("shop", "default", "big"))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[1024])));
    assertEquals(204, fits.statusCode(), text(fits));
    HttpResponse<byte[]> longKey =
        send(
            request(keyPath("shop", "default", "k".repeat(65)))
                .PUT(HttpRequest.BodyPublishers.ofString("v")));
    assertEquals(400, longKey.statusCode(), text(longKey));
    assertTrue(text(longKey).startsWith("key_too_large: "), text(longKey));

    HttpResponse<byte[]> first =
        send(
            request(keyPath("busy", "default", "a")).PUT(HttpRequest.BodyPublishers.ofString("1")));
    assertEquals(204, first.statusCode(), text(first));
    HttpResponse<byte[]> second =
        send(
            request(keyPath("busy", "default", "b")).PUT(HttpRequest.BodyPublishers.ofString("2")));
    assertEquals(429, second.statusCode(), text(second));
    assertEquals("1", second.headers().firstValue("Retry-After").orElse(""));
    assertTrue(text(second).startsWith("rate_limited: "), text(second));
  }

  @Test
  void everyKindOfFailureShouldHaveItsStatus() {
    for (KvException.Kind kind : KvException.Kind.values()) {
      int expected =
          switch (kind) {
            case NO_SUCH_STORE -> 404;
            case ACCESS_DENIED -> 403;
            case STORE_TABLE_FULL, VALUE_TOO_LARGE -> 413;
            case KEY_TOO_LARGE, NOT_A_COUNTER, OTHER -> 400;
            case RATE_LIMITED -> 429;
            case UNAVAILABLE, STORAGE_FAILURE -> 503;
          };
      assertEquals(
          expected,
          KvAdminRoutes.failure(new KvException(kind, "why")).status().intValue(),
          kind.name());
    }
  }

  @Test
  void kvRoutesShouldRequireTheToken() throws Exception {
    HttpResponse<byte[]> response =
        send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + admin.localAddress().getPort()
                            + keyPath("shop", "default", "k")))
                .GET());
    assertEquals(401, response.statusCode());
  }
}
